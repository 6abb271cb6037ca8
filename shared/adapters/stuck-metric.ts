import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PinterestEnvironment } from '../domain/pinterest';
import { DEPLOYMENT_DIMENSION, deploymentName, METRICS_NAMESPACE, METRICS_SERVICE, STUCK_METRIC } from '../metrics';
import type { StuckMetricPort } from '../use-cases/reconcile';

/**
 * The `StuckPinRecords` metric as a CloudWatch embedded metric (EMF: one JSON line in the function's
 * log, turned into a metric by CloudWatch; no API call, no permission): Pin records `publishing` or
 * `needs_reconcile` for longer than STUCK_AFTER_MINUTES, per environment and in total, each with the
 * deployment's name as a dimension. The deployment alarms on its own total.
 */

export class StuckMetric implements StuckMetricPort {
  constructor(
    private readonly metrics: Metrics = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: METRICS_SERVICE,
      defaultDimensions: { [DEPLOYMENT_DIMENSION]: deploymentName() },
    }),
  ) {}

  stuckRecords(counts: Record<PinterestEnvironment, number>): void {
    this.metrics.addMetric(STUCK_METRIC, MetricUnit.Count, counts.sandbox + counts.production);
    this.metrics.publishStoredMetrics();
    for (const [env, count] of Object.entries(counts)) {
      const single = this.metrics.singleMetric();
      single.addDimension('environment', env);
      single.addMetric(STUCK_METRIC, MetricUnit.Count, count);
    }
  }
}
