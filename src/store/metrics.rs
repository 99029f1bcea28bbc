//! Contact-center figures computed from the queue and offer rows, so they are the same after a
//! restart as before it.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use sqlx::Row;

use super::Store;
use crate::error::HotlineError;

/// One queue's figures since records began.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueMetrics {
    pub queue: String,
    /// Callers who entered the queue.
    pub entered: i64,
    /// Of those, answered by an agent.
    pub answered: i64,
    /// Answered within the queue's service-level target.
    pub answered_within_sl: i64,
    /// Hung up while waiting.
    pub abandoned: i64,
    /// Left for another destination (voicemail, callback, hang-up, another queue).
    pub overflowed: i64,
    /// Callback requests recorded for the queue.
    pub callbacks: i64,
    /// `answered_within_sl / (answered + abandoned)`; `None` before either happened.
    pub service_level: Option<f64>,
    /// `abandoned / entered`; `None` before anyone entered.
    pub abandonment_rate: Option<f64>,
    /// Mean time from an agent answering to the end, over calls that ended after an answer.
    pub average_handle_time: Option<Duration>,
}

/// One agent's figures since records began.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentMetrics {
    pub agent: String,
    /// Calls rung at the agent.
    pub offered: i64,
    pub answered: i64,
    /// Offers that rang out unanswered (`no-answer`).
    pub missed: i64,
    /// Answer to end, over the queued calls the agent took that have ended.
    pub talk_time: Duration,
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn ms(value: i64) -> Duration {
    Duration::from_millis(value.max(0) as u64)
}

impl Store {
    /// Per-queue figures, by queue name. `service_levels` gives a queue's answer-time target;
    /// queues not in it use `default_sl`.
    pub async fn queue_metrics(
        &self,
        service_levels: &HashMap<String, Duration>,
        default_sl: Duration,
    ) -> Result<Vec<QueueMetrics>, HotlineError> {
        let mut targets: Vec<(&String, i64)> = service_levels
            .iter()
            .map(|(q, d)| (q, d.as_millis() as i64))
            .collect();
        targets.sort();
        let targets_sql = if targets.is_empty() {
            "SELECT NULL AS queue, NULL AS ms WHERE 0".to_string()
        } else {
            vec!["SELECT ? AS queue, ? AS ms"; targets.len()].join(" UNION ALL ")
        };
        let sql = format!(
            "WITH sl(queue, ms) AS ({targets_sql})
             SELECT q.queue AS queue,
                    COUNT(*) AS entered,
                    COALESCE(SUM(q.answered_at IS NOT NULL), 0) AS answered,
                    COALESCE(SUM(q.answered_at IS NOT NULL
                                 AND q.answered_at - q.entered_at <= COALESCE(sl.ms, ?)), 0) AS within,
                    COALESCE(SUM(q.outcome = 'abandoned'), 0) AS abandoned,
                    COALESCE(SUM(q.outcome LIKE 'overflow:%'), 0) AS overflowed,
                    AVG(CASE WHEN q.answered_at IS NOT NULL AND q.ended_at IS NOT NULL
                             THEN q.ended_at - q.answered_at END) AS aht_ms
             FROM queue_calls q LEFT JOIN sl ON sl.queue = q.queue
             GROUP BY q.queue"
        );
        // Audited: the dynamic part is only `?` placeholders, one pair per configured queue.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (queue, target) in &targets {
            query = query.bind(queue.as_str()).bind(*target);
        }
        let rows = query
            .bind(default_sl.as_millis() as i64)
            .fetch_all(&self.pool)
            .await?;
        let mut by_queue: BTreeMap<String, QueueMetrics> = BTreeMap::new();
        for r in &rows {
            let queue: String = r.try_get("queue")?;
            let entered: i64 = r.try_get("entered")?;
            let answered: i64 = r.try_get("answered")?;
            let within: i64 = r.try_get("within")?;
            let abandoned: i64 = r.try_get("abandoned")?;
            let aht: Option<f64> = r.try_get("aht_ms")?;
            by_queue.insert(
                queue.clone(),
                QueueMetrics {
                    queue,
                    entered,
                    answered,
                    answered_within_sl: within,
                    abandoned,
                    overflowed: r.try_get("overflowed")?,
                    callbacks: 0,
                    service_level: ratio(within, answered + abandoned),
                    abandonment_rate: ratio(abandoned, entered),
                    average_handle_time: aht.map(|a| ms(a.round() as i64)),
                },
            );
        }
        let callbacks = sqlx::query("SELECT queue, COUNT(*) AS n FROM callbacks GROUP BY queue")
            .fetch_all(&self.pool)
            .await?;
        for r in &callbacks {
            let queue: String = r.try_get("queue")?;
            let n: i64 = r.try_get("n")?;
            by_queue
                .entry(queue.clone())
                .or_insert_with(|| QueueMetrics {
                    queue,
                    entered: 0,
                    answered: 0,
                    answered_within_sl: 0,
                    abandoned: 0,
                    overflowed: 0,
                    callbacks: 0,
                    service_level: None,
                    abandonment_rate: None,
                    average_handle_time: None,
                })
                .callbacks = n;
        }
        Ok(by_queue.into_values().collect())
    }

    /// Per-agent figures, by agent id.
    pub async fn agent_metrics(&self) -> Result<Vec<AgentMetrics>, HotlineError> {
        let mut by_agent: BTreeMap<String, AgentMetrics> = BTreeMap::new();
        let blank = |agent: &str| AgentMetrics {
            agent: agent.to_string(),
            offered: 0,
            answered: 0,
            missed: 0,
            talk_time: Duration::ZERO,
        };
        let offers = sqlx::query(
            "SELECT agent, COUNT(*) AS offered,
                    COALESCE(SUM(outcome = 'answered'), 0) AS answered,
                    COALESCE(SUM(outcome = 'no-answer'), 0) AS missed
             FROM agent_offers GROUP BY agent",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in &offers {
            let agent: String = r.try_get("agent")?;
            let m = by_agent
                .entry(agent.clone())
                .or_insert_with(|| blank(&agent));
            m.offered = r.try_get("offered")?;
            m.answered = r.try_get("answered")?;
            m.missed = r.try_get("missed")?;
        }
        let talk = sqlx::query(
            "SELECT agent, SUM(ended_at - answered_at) AS talk_ms FROM queue_calls
             WHERE agent IS NOT NULL AND answered_at IS NOT NULL AND ended_at IS NOT NULL
             GROUP BY agent",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in &talk {
            let agent: String = r.try_get("agent")?;
            let talk_ms: i64 = r.try_get("talk_ms")?;
            by_agent
                .entry(agent.clone())
                .or_insert_with(|| blank(&agent))
                .talk_time = ms(talk_ms);
        }
        Ok(by_agent.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_db;

    /// sales: answered after 5 s (handled 60 s), answered after 40 s (handled 30 s), abandoned,
    /// overflowed to voicemail; support: one abandoned, one callback request.
    async fn fill(store: &Store) {
        let s = 1_000;
        store.queue_entered("a", "sales", false, 0).await.unwrap();
        store.queue_offered("a", "ann", s).await.unwrap();
        store
            .offer_outcome("a", "ann", "answered", 5 * s)
            .await
            .unwrap();
        store.queue_answered("a", "ann", 5 * s).await.unwrap();
        store.queue_finished("a", "handled", 65 * s).await.unwrap();

        store.queue_entered("b", "sales", false, 0).await.unwrap();
        store.queue_offered("b", "bob", s).await.unwrap();
        store
            .offer_outcome("b", "bob", "no-answer", 20 * s)
            .await
            .unwrap();
        store.queue_offered("b", "ann", 21 * s).await.unwrap();
        store
            .offer_outcome("b", "ann", "answered", 40 * s)
            .await
            .unwrap();
        store.queue_answered("b", "ann", 40 * s).await.unwrap();
        store.queue_finished("b", "handled", 70 * s).await.unwrap();

        store.queue_entered("c", "sales", false, 0).await.unwrap();
        store.queue_finished("c", "abandoned", 9 * s).await.unwrap();
        store.queue_entered("d", "sales", true, 0).await.unwrap();
        store
            .queue_finished("d", "overflow:voicemail", 90 * s)
            .await
            .unwrap();

        store.queue_entered("e", "support", false, 0).await.unwrap();
        store.queue_finished("e", "abandoned", 3 * s).await.unwrap();
        store
            .add_callback("f", "support", "+1555", 0)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn queue_figures_use_each_queues_target_and_survive_a_restart() {
        let path = temp_db("queue-metrics");
        fill(&Store::open(&path).await.unwrap()).await;
        let store = Store::open(&path).await.unwrap();
        let sls = HashMap::from([("sales".to_string(), Duration::from_secs(20))]);
        let m = store
            .queue_metrics(&sls, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(m.len(), 2);
        let sales = &m[0];
        assert_eq!(sales.queue, "sales");
        assert_eq!(
            (
                sales.entered,
                sales.answered,
                sales.answered_within_sl,
                sales.abandoned,
                sales.overflowed,
                sales.callbacks
            ),
            (4, 2, 1, 1, 1, 0)
        );
        assert_eq!(sales.service_level, Some(1.0 / 3.0));
        assert_eq!(sales.abandonment_rate, Some(0.25));
        assert_eq!(sales.average_handle_time, Some(Duration::from_secs(45)));
        let support = &m[1];
        assert_eq!(support.queue, "support");
        assert_eq!(
            (support.entered, support.abandoned, support.callbacks),
            (1, 1, 1)
        );
        assert_eq!(support.service_level, Some(0.0));
        assert_eq!(support.average_handle_time, None);

        // With the default target (60 s) for sales too, both answers are within it.
        let m = store
            .queue_metrics(&HashMap::new(), Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(m[0].answered_within_sl, 2);
        assert_eq!(m[0].service_level, Some(2.0 / 3.0));
    }

    #[tokio::test]
    async fn agent_figures() {
        let store = Store::open(&temp_db("agent-metrics")).await.unwrap();
        fill(&store).await;
        let m = store.agent_metrics().await.unwrap();
        assert_eq!(
            m,
            vec![
                AgentMetrics {
                    agent: "ann".into(),
                    offered: 2,
                    answered: 2,
                    missed: 0,
                    talk_time: Duration::from_secs(90),
                },
                AgentMetrics {
                    agent: "bob".into(),
                    offered: 1,
                    answered: 0,
                    missed: 1,
                    talk_time: Duration::ZERO,
                },
            ]
        );
        let empty = Store::open(&temp_db("agent-metrics-empty")).await.unwrap();
        assert!(empty.agent_metrics().await.unwrap().is_empty());
        assert!(empty
            .queue_metrics(&HashMap::new(), Duration::from_secs(20))
            .await
            .unwrap()
            .is_empty());
    }
}
