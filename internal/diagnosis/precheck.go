package diagnosis

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The items of the pre-check (5.11.1), in the order they are returned. The reference's examples
// also name RAM and CPU, which are host metrics OpenDMS does not collect from its brokers: they are
// not reported rather than reported as passing.
const (
	CheckBroker       = "BROKER"       // every broker of the instance answers; reason: the ids of those that do not
	CheckSubscription = "SUBSCRIPTION" // every partition of the topic is assigned to a consumer of the group; reason: the partitions that are not
	CheckLag          = "LAG"          // no backlog; reason: {"partition": lag} of the partitions with backlog
	CheckProduce      = "PRODUCE"      // production is not feeding a backlog; reason: {"minute start ms": records/s} over the last minute
)

// Check is one pre-check result: whether the aspect is healthy and, when it is not, why.
type Check struct {
	Name    string
	Success bool
	Reason  string
}

// produceWindow is the span the PRODUCE check measures production over.
const produceWindow = time.Minute

// PreCheck looks once at the group and the topic (5.11.1): whether there is a backlog to diagnose
// and what a diagnosis will look at. The topic and the group must exist.
func (s *Service) PreCheck(ctx context.Context, projectID, instanceID, group, topic string) ([]Check, error) {
	if err := required(group, topic, "group", "topic"); err != nil {
		return nil, err
	}
	in, c, err := s.check(ctx, projectID, instanceID, group, topic)
	if err != nil {
		return nil, err
	}
	ob := observer{c: c, group: group, topic: topic}
	smp := ob.take(ctx)
	o := observation{group: group, topic: topic, samples: []sample{smp}}
	ids := brokerIDs(in)
	ob.observeEnd(ctx, &o, ids)
	parts := o.partitionIDs()

	var out []Check
	// BROKER
	if o.brokersErr != nil {
		out = append(out, Check{Name: CheckBroker, Reason: o.brokersErr.Error()})
	} else {
		var down []int32
		for _, id := range ids {
			if !o.online[id] {
				down = append(down, id)
			}
		}
		out = append(out, Check{Name: CheckBroker, Success: len(down) == 0, Reason: joinInts(down)})
	}
	// SUBSCRIPTION
	if smp.groupErr != nil {
		out = append(out, Check{Name: CheckSubscription, Reason: smp.groupErr.Error()})
	} else {
		var unassigned []int32
		for _, p := range parts {
			if _, ok := smp.assigned[p]; !ok {
				unassigned = append(unassigned, p)
			}
		}
		out = append(out, Check{Name: CheckSubscription, Success: len(unassigned) == 0, Reason: joinInts(unassigned)})
	}
	// LAG
	var total int64
	if smp.groupErr != nil || smp.offsetsErr != nil {
		out = append(out, Check{Name: CheckLag, Reason: errText(smp.groupErr, smp.offsetsErr)})
	} else {
		lags := map[string]int64{}
		for _, p := range parts {
			if l, ok := smp.lag(p); ok && l > 0 {
				lags[strconv.Itoa(int(p))] = l
				total += l
			}
		}
		out = append(out, Check{Name: CheckLag, Success: len(lags) == 0, Reason: jsonText(lags)})
	}
	// PRODUCE
	since := time.Now().Add(-produceWindow)
	ranges, err := c.TimeRange(ctx, topic, since.UnixMilli(), -1)
	if err != nil {
		out = append(out, Check{Name: CheckProduce, Reason: err.Error()})
	} else {
		var n int64
		for _, r := range ranges {
			n += r.Len()
		}
		perSec, _ := strconv.ParseFloat(rate(n, produceWindow.Seconds()), 64)
		reason := jsonText(map[string]float64{strconv.FormatInt(since.UnixMilli(), 10): perSec})
		out = append(out, Check{Name: CheckProduce, Success: n == 0 || total == 0, Reason: reason})
	}
	return out, nil
}

func joinInts(v []int32) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(int(n))
	}
	return strings.Join(s, ",")
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func errText(errs ...error) string {
	for _, e := range errs {
		if e != nil {
			return e.Error()
		}
	}
	return ""
}
