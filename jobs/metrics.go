package jobs

import (
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
)

// QueueCollector exports Asynq queue sizes, and how long the oldest pending
// task of each queue has waited, to Prometheus. Written here
// because Asynq's own collector (module github.com/hibiken/asynq/x) pins
// asynq v0.19 and go-redis v8 and cannot be used with asynq v0.26.
type QueueCollector struct {
	inspector *asynq.Inspector
	tasks     *prometheus.Desc
	latency   *prometheus.Desc
}

// NewQueueCollector reads queues through an inspector on rdb.
func NewQueueCollector(rdb goredis.UniversalClient) *QueueCollector {
	return &QueueCollector{
		inspector: asynq.NewInspectorFromRedisClient(rdb),
		tasks: prometheus.NewDesc("waybill_queue_tasks", "Tasks in each Asynq queue by state.",
			[]string{"queue", "state"}, nil),
		latency: prometheus.NewDesc("waybill_queue_latency_seconds",
			"How long the oldest pending task of each Asynq queue has waited (0 when none waits).",
			[]string{"queue"}, nil),
	}
}

func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.tasks; ch <- c.latency }

func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	for queue := range QueueWeights {
		info, err := c.inspector.GetQueueInfo(queue)
		if err != nil {
			continue // a queue that never held a task does not exist yet
		}
		for state, n := range map[string]int{
			"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed,
		} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(n), queue, state)
		}
		ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, info.Latency.Seconds(), queue)
	}
}
