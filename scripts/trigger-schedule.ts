/**
 * `npm run schedule -- <name>`: asks the running local server (npm start) to run a schedule from the
 * schedule table now. Local mode only; in AWS, invoke the schedule's function from the console or CLI.
 */
import { schedules } from '../shared/routes';

const name = process.argv[2];
const port = process.env.PORT ?? '3000';
if (name === undefined || name === '') {
  console.error(`usage: npm run schedule -- <name>   (schedules: ${schedules.map((s) => s.name).join(', ') || 'none yet'})`);
  process.exit(2);
}
fetch(`http://127.0.0.1:${port}/__local/schedules/${encodeURIComponent(name)}`, { method: 'POST' })
  .then(async (res) => {
    console.log((await res.json()));
    process.exit(res.ok ? 0 : 1);
  })
  .catch((error: unknown) => {
    console.error(`could not reach the local server on port ${port}: ${error instanceof Error ? error.message : 'unknown error'}`);
    process.exit(1);
  });
