import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { FunctionId, ScheduleSpec } from '../../shared/routes';
import type { PublisherFunction } from './publisher-function';

/** One EventBridge rule per entry of the schedule table (the local server runs the same table on timers). */
export class Schedules extends Construct {
  constructor(scope: Construct, id: string, props: { schedules: readonly ScheduleSpec[]; functions: Record<FunctionId, PublisherFunction> }) {
    super(scope, id);
    for (const schedule of props.schedules) {
      new events.Rule(this, schedule.name, {
        description: schedule.description,
        schedule: events.Schedule.rate(Duration.minutes(schedule.rateMinutes)),
        // An event EventBridge could not deliver goes to the function's failure queue too.
        targets: [
          new targets.LambdaFunction(props.functions[schedule.fn].fn, {
            retryAttempts: 2,
            ...(props.functions[schedule.fn].failures === undefined ? {} : { deadLetterQueue: props.functions[schedule.fn].failures }),
          }),
        ],
      });
    }
  }
}
