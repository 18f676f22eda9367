package topics

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/instances"
	"github.com/opendms/opendms/internal/kafkaops/kafkaerr"
)

// DiskUsageFilter selects the partitions 5.2.10 lists on each broker. The zero value lists them all.
type DiskUsageFilter struct {
	MinSize    int64   // bytes: partitions of at least this size
	Top        int     // the n largest partitions of each broker
	Percentage float64 // partitions using at least this percentage of their broker's disk
}

// ParseDiskUsageFilter reads 5.2.10's query parameters: minSize is one of "1 KB", "1 MB", "1 GB"
// (case and spaces do not matter), top a positive integer, percentage a number from 0 to 100. An
// empty parameter does not filter: the reference names 1 GB as minSize's default, but its own
// example lists partitions of a few KB without one, and a default that hides every partition
// below a gigabyte would make the API look empty on most instances.
func ParseDiskUsageFilter(minSize, top, percentage string) (DiskUsageFilter, error) {
	var f DiskUsageFilter
	if minSize != "" {
		switch strings.ToUpper(strings.ReplaceAll(minSize, " ", "")) {
		case "1KB":
			f.MinSize = 1 << 10
		case "1MB":
			f.MinSize = 1 << 20
		case "1GB":
			f.MinSize = 1 << 30
		default:
			return f, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: minSize must be 1 KB, 1 MB or 1 GB, got %q.", minSize)
		}
	}
	if top != "" {
		n, err := strconv.Atoi(strings.TrimSpace(top))
		if err != nil || n < 1 {
			return f, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: top must be a positive integer, got %q.", top)
		}
		f.Top = n
	}
	if percentage != "" {
		p, err := strconv.ParseFloat(strings.TrimSpace(percentage), 64)
		if err != nil || p < 0 || p > 100 || math.IsNaN(p) {
			return f, dms.Errorf(dms.CodeInvalidParameter, "Invalid request parameter: percentage must be a number from 0 to 100, got %q.", percentage)
		}
		f.Percentage = p
	}
	return f, nil
}

// BrokerDiskUsage is one broker of 5.2.10.
type BrokerDiskUsage struct {
	Broker int32
	// Capacity is the broker's share of the instance's storage_space, in bytes: the disk DMS gives
	// it (the brokers of OpenDMS share the host's disk, whose size says nothing about the instance).
	Capacity int64
	// Used is the bytes of every partition replica on the broker, internal topics included.
	Used       int64
	Partitions []PartitionUsage // those the filter selects, largest first
}

// PartitionUsage is one partition replica of a broker.
type PartitionUsage struct {
	Topic     string
	Partition int32
	Size      int64
}

// Percent is the share of the broker's capacity size uses, in percent.
func (b BrokerDiskUsage) Percent(size int64) float64 {
	if b.Capacity <= 0 {
		return 0
	}
	return float64(size) / float64(b.Capacity) * 100
}

// DiskUsage returns the disk usage of every broker of the instance with its partition replicas
// (5.2.10), from the cluster's log dirs.
func (s *Service) DiskUsage(ctx context.Context, projectID, instanceID string, f DiskUsageFilter) ([]BrokerDiskUsage, error) {
	in, c, err := s.cluster(ctx, projectID, instanceID, false)
	if err != nil {
		return nil, err
	}
	logs, err := c.ReplicaLogs(ctx)
	if err != nil {
		return nil, kafkaerr.ToDMS(kafkaerr.About{}, err)
	}
	capacity := s.instances.BrokerCapacity(in)
	// The brokers of broker_num: those a failed horizontal extension recorded are not the
	// instance's, and hold no share of its storage.
	serving := instances.ServingBrokers(in)
	out := make([]BrokerDiskUsage, 0, len(serving))
	for _, b := range serving {
		u := BrokerDiskUsage{Broker: b.ID, Capacity: capacity, Partitions: []PartitionUsage{}}
		for _, l := range logs {
			if l.Broker != b.ID {
				continue
			}
			u.Used += l.Size
			if l.Size < f.MinSize || u.Percent(l.Size) < f.Percentage {
				continue
			}
			u.Partitions = append(u.Partitions, PartitionUsage{Topic: l.Topic, Partition: l.Partition, Size: l.Size})
		}
		slices.SortStableFunc(u.Partitions, func(a, b PartitionUsage) int { return cmp.Compare(b.Size, a.Size) })
		if f.Top > 0 && len(u.Partitions) > f.Top {
			u.Partitions = u.Partitions[:f.Top]
		}
		out = append(out, u)
	}
	return out, nil
}
