import Monitoring
import Prometheus

/// The daemon's Prometheus registry and the instruments made in it. Each runtime owns one instead of bootstrapping
/// the process-wide `MetricsSystem`, which can be set only once: tests load many runtimes in one process.
public struct MetricsRegistry: Sendable {
    public let prometheus: PrometheusCollectorRegistry
    public let monitoring: Monitoring

    public init() {
        prometheus = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: prometheus)
        // A step takes about 150 µs when all is well; the buckets resolve that, and the seconds of a struggling disk.
        factory.durationHistogramBuckets[Monitoring.stepDurationLabel] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
        ]
        monitoring = Monitoring(factory: factory)
    }
}
