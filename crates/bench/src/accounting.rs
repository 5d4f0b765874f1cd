//! Per-stream delivery accounting: for one receiver and one sender, which sequence
//! numbers arrived, so a run can report messages lost, duplicated and out of order
//! without keeping every number (only the gaps below the highest one seen).

use serde::Serialize;

/// What one receiver saw of one sender's sequence (0, 1, 2, ...).
#[derive(Debug, Clone, Default)]
pub struct Stream {
    /// One past the highest sequence number seen.
    next: u64,
    /// Numbers below `next` not seen yet, as half-open ranges in ascending order.
    gaps: Vec<(u64, u64)>,
    /// Different numbers seen.
    pub distinct: u64,
    /// Arrivals of a number already seen.
    pub duplicated: u64,
    /// Arrivals of a number below one already seen (a late message, not a duplicate).
    pub out_of_order: u64,
}

impl Stream {
    /// Records the arrival of `seq`.
    pub fn record(&mut self, seq: u64) {
        if seq >= self.next {
            if seq > self.next {
                self.gaps.push((self.next, seq));
            }
            self.next = seq + 1;
            self.distinct += 1;
            return;
        }
        // Below the highest seen: either it fills a gap (late) or it is a repeat.
        let at = self.gaps.partition_point(|&(_, end)| end <= seq);
        match self.gaps.get(at).copied() {
            Some((start, end)) if start <= seq => {
                self.out_of_order += 1;
                self.distinct += 1;
                match (start == seq, end == seq + 1) {
                    (true, true) => {
                        self.gaps.remove(at);
                    }
                    (true, false) => self.gaps[at].0 = seq + 1,
                    (false, true) => self.gaps[at].1 = seq,
                    (false, false) => {
                        self.gaps[at].1 = seq;
                        self.gaps.insert(at + 1, (seq + 1, end));
                    }
                }
            }
            _ => self.duplicated += 1,
        }
    }
}

/// The sum over every stream of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Deliveries that should have happened (messages sent times their recipients).
    pub expected: u64,
    /// Different messages that arrived where they should.
    pub delivered: u64,
    /// Expected deliveries that never arrived.
    pub lost: u64,
    /// Arrivals of a message a recipient already had.
    pub duplicated: u64,
    /// Arrivals after a later message of the same sender.
    pub out_of_order: u64,
    /// Arrivals from a sender this recipient should not hear (e.g. its own echo).
    pub unexpected: u64,
}

impl Tally {
    /// Adds one stream whose sender sent `sent` messages.
    pub fn add_stream(&mut self, stream: &Stream, sent: u64) {
        self.expected += sent;
        self.delivered += stream.distinct;
        self.lost += sent.saturating_sub(stream.distinct);
        self.duplicated += stream.duplicated;
        self.out_of_order += stream.out_of_order;
    }

    /// Adds a stream the recipient expected but never heard from at all.
    pub fn add_silent(&mut self, sent: u64) {
        self.expected += sent;
        self.lost += sent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(seqs: &[u64]) -> Stream {
        let mut s = Stream::default();
        for &seq in seqs {
            s.record(seq);
        }
        s
    }

    fn tally(seqs: &[u64], sent: u64) -> Tally {
        let mut t = Tally::default();
        t.add_stream(&stream(seqs), sent);
        t
    }

    #[test]
    fn in_order_stream_is_clean() {
        let t = tally(&[0, 1, 2, 3], 4);
        assert_eq!(
            (t.delivered, t.lost, t.duplicated, t.out_of_order),
            (4, 0, 0, 0)
        );
    }

    #[test]
    fn missing_numbers_are_lost() {
        // 1 and 3 never came, nor did the last one (4).
        let t = tally(&[0, 2], 5);
        assert_eq!(
            (t.delivered, t.lost, t.duplicated, t.out_of_order),
            (2, 3, 0, 0)
        );
    }

    #[test]
    fn repeats_are_duplicates() {
        let t = tally(&[0, 1, 1, 2, 0], 3);
        assert_eq!(
            (t.delivered, t.lost, t.duplicated, t.out_of_order),
            (3, 0, 2, 0)
        );
    }

    #[test]
    fn late_numbers_fill_gaps_and_count_out_of_order() {
        // 5 opens the gap 1..5; 3, 1 and 4 fill it from the middle and both ends.
        let t = tally(&[0, 5, 3, 1, 4, 2, 3], 6);
        assert_eq!(
            (t.delivered, t.lost, t.duplicated, t.out_of_order),
            (6, 0, 1, 4)
        );
        assert!(stream(&[0, 5, 3, 1, 4, 2]).gaps.is_empty());
    }

    #[test]
    fn silent_streams_lose_everything() {
        let mut t = Tally::default();
        t.add_silent(7);
        t.add_stream(&stream(&[0]), 1);
        assert_eq!((t.expected, t.delivered, t.lost), (8, 1, 7));
    }
}
