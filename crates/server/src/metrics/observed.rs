//! The series read when scraped rather than counted: what the hub, the history writer and
//! the kernel already keep. Nothing on the chat's paths pays for these.

use std::sync::Arc;

use confab_core::Hub;
use confab_store::{CommitLatency, COMMIT_BUCKETS_MICROS};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use super::process;
use crate::history::History;

pub(super) struct Observed {
    hub: Arc<Hub>,
    history: Option<Arc<History>>,
}

impl std::fmt::Debug for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observed")
    }
}

impl Observed {
    pub(super) fn new(hub: Arc<Hub>, history: Option<Arc<History>>) -> Observed {
        Observed { hub, history }
    }
}

impl Collector for Observed {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let rooms = self.hub.rooms().len() as i64;
        gauge(
            &mut encoder,
            "rooms",
            "Rooms (channels) that exist now",
            rooms,
        )?;
        if let Some(history) = &self.history {
            let stats = history.writer_stats();
            let queued = stats.queued as i64;
            let help = "Events waiting for the history writer to commit them";
            gauge(&mut encoder, "history_queue", help, queued)?;
            let help = "Events not stored because the history queue was full (chat went on)";
            let dropped = ConstCounter::new(stats.dropped);
            let metric =
                encoder.encode_descriptor("history_dropped", help, None, dropped.metric_type())?;
            dropped.encode(metric)?;
            commit_latency(&mut encoder, &stats.commit_latency)?;
        }
        if let Some(bytes) = process::resident_bytes() {
            let help = "Resident memory of the server process, in bytes";
            gauge(
                &mut encoder,
                "process_resident_memory_bytes",
                help,
                bytes as i64,
            )?;
        }
        if let Some(files) = process::open_files() {
            let help = "Files (sockets included) the server process has open";
            gauge(&mut encoder, "process_open_fds", help, files as i64)?;
        }
        Ok(())
    }
}

fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: i64,
) -> Result<(), std::fmt::Error> {
    let gauge = ConstGauge::new(value);
    let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
    gauge.encode(metric)
}

/// The writer's commit times as a histogram in seconds, Prometheus's unit of time.
fn commit_latency(
    encoder: &mut DescriptorEncoder,
    latency: &CommitLatency,
) -> Result<(), std::fmt::Error> {
    let bounds = COMMIT_BUCKETS_MICROS
        .iter()
        .map(|micros| *micros as f64 / 1e6)
        .chain([f64::INFINITY]);
    let buckets: Vec<(f64, u64)> = bounds.zip(latency.counts).collect();
    let help = "Time the history writer's group commits take, in seconds";
    let name = "history_commit_seconds";
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Histogram)?;
    let sum = latency.sum_micros as f64 / 1e6;
    metric.encode_histogram::<prometheus_client::encoding::NoLabelSet>(
        sum,
        latency.commits(),
        &buckets,
        None,
    )
}
