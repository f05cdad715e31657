package raft

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkApplyBolt measures durable Apply throughput and latency of a
// single-server cluster on the bolt log store.
func BenchmarkApplyBolt(b *testing.B) { benchApply(b, LogStoreBolt) }

// BenchmarkApplyWAL is BenchmarkApplyBolt on the raft-wal log store.
func BenchmarkApplyWAL(b *testing.B) { benchApply(b, LogStoreWAL) }

// benchApply reports applies/s and the p50 and p99 latency of one Apply
// from 16 concurrent appliers (as many API handlers would submit), with
// hraft's BatchApplyCh on and off, and from a single applier, where each
// Apply waits for its own disk sync.
func benchApply(b *testing.B, kind string) {
	for _, bc := range []struct {
		name     string
		appliers int
		batch    bool
	}{
		{"appliers=16", 16, false},
		{"appliers=16/batchapplych", 16, true},
		{"appliers=1", 1, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := NewTestCluster(b, 1, TestClusterOptions{LogStore: kind, BatchApply: bc.batch})
			n := c.Node(0)
			cmd := submitCmd(b, "alice")
			ctx := context.Background()
			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for range bc.appliers {
				wg.Go(func() {
					for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
						t := time.Now()
						if _, _, err := n.Apply(ctx, cmd); err != nil {
							b.Error(err)
							return
						}
						lat[i] = time.Since(t)
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "applies/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
