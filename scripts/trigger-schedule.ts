/**
 * `npm run schedule -- <name>`: asks the running local server (npm start) to run a schedule from the
 * schedule table now. Local mode only; in AWS, invoke the schedule's function from the console or CLI.
 */
import { schedules } from '../shared/routes';
import { localStackUnreachable } from './local-stack';

const name = process.argv[2];
const port = process.env.PORT ?? '3000';
const known = schedules.map((s) => s.name);
const list = known.length === 0 ? 'there are no schedules yet' : `schedules: ${known.join(', ')}`;

if (name === undefined || name === '') {
  console.error(`usage: npm run schedule -- <name>   (${list})`);
  process.exit(2);
} else if (!known.includes(name)) {
  console.error(`No schedule named "${name}" (${list}).`);
  process.exit(2);
} else {
  fetch(`http://127.0.0.1:${port}/__local/schedules/${encodeURIComponent(name)}`, { method: 'POST' })
    .then(async (res) => {
      const { message } = (await res.json()) as { message?: string };
      console.log(message ?? res.statusText);
      process.exit(res.ok ? 0 : 1);
    })
    .catch((error: unknown) => {
      console.error(localStackUnreachable(error, 'PORT', port) ?? `Could not reach the local server on port ${port}.`);
      process.exit(1);
    });
}
