//! Open streamed answers (event streams and exports), counted per origin, so
//! a test can see that a client closing a stream really closed it: the count
//! drops when hyper drops the answer's body, which it does when the
//! connection closes.

use std::sync::Arc;

use tokio::sync::watch;

/// How many streamed answers an origin is sending right now.
#[derive(Debug, Clone, Default)]
pub(crate) struct OpenStreams {
    count: Arc<watch::Sender<usize>>,
}

impl OpenStreams {
    /// Counts one more open stream until the returned guard is dropped.
    pub(crate) fn open(&self) -> StreamGuard {
        self.count.send_modify(|n| *n += 1);
        StreamGuard {
            count: Arc::clone(&self.count),
        }
    }

    /// Streams open now.
    pub(crate) fn count(&self) -> usize {
        *self.count.borrow()
    }

    /// Waits until exactly `n` streams are open.
    pub(crate) async fn until(&self, n: usize) {
        let mut rx = self.count.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = rx.wait_for(|open| *open == n).await;
    }
}

/// One open stream; dropping it (with the answer's body) closes the count.
#[derive(Debug)]
pub(crate) struct StreamGuard {
    count: Arc<watch::Sender<usize>>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.count.send_modify(|n| *n = n.saturating_sub(1));
    }
}
