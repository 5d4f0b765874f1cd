//! The cluster link's series, read at each scrape from its counters: whether this node is
//! connected to Redis, what crossed, and what was lost on the way (docs/cluster.md says
//! what each means for users).

use std::sync::Arc;

use confab_cluster::ClusterStats;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

#[derive(Debug)]
pub(super) struct ClusterSeries(pub(super) Arc<ClusterStats>);

impl Collector for ClusterSeries {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let now = self.0.now();
        let up = ConstGauge::new(i64::from(now.up));
        let help = "1 while this node is connected to the cluster's Redis, 0 while it serves its own users alone";
        gauge(&mut encoder, "cluster_up", help, up)?;
        let help = "Seconds the last event of another node took from being made there to arriving here (the cluster's lag; clocks must agree)";
        gauge(
            &mut encoder,
            "cluster_lag_seconds",
            help,
            ConstGauge::new(now.lag_seconds),
        )?;
        let rooms = ConstGauge::new(i64::try_from(now.rooms).unwrap_or(i64::MAX));
        let help = "Room channels this node listens to: the rooms its users are in";
        gauge(&mut encoder, "cluster_rooms", help, rooms)?;
        for (name, help, value) in [
            ("cluster_published", "Messages this node published to the cluster", now.published),
            ("cluster_received", "Messages this node received from the cluster channel", now.received),
            ("cluster_missed", "Messages of other nodes that never arrived (gaps in their sequence), and own events delivered without their echo", now.missed),
            ("cluster_refused", "Payloads on the cluster channel dropped as malformed, oversized or from a process with this node's number, and account or ban records in Redis or on the channel that are not valid", now.refused),
            ("cluster_reconnects", "Times this node reconnected to Redis", now.reconnects),
            ("cluster_nodes_lost", "Nodes whose lease ran out while this node watched", now.nodes_lost),
            ("cluster_history_filled", "Events read from rooms' streams in Redis into this node's history, as it started listening to a room or after it missed messages in one", now.filled),
            ("cluster_local_only", "Verbs' events delivered on this node only, the link being down or its queue full", now.local_only),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}

/// Writes one gauge with its name and help.
fn gauge<N>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    gauge: ConstGauge<N>,
) -> Result<(), std::fmt::Error>
where
    ConstGauge<N>: EncodeMetric,
{
    gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)
}
