package instances

import (
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
)

func TestProgressOf(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	now := start.Add(30 * time.Second)
	steps := []dms.TaskStep{{Name: "move", Status: dms.StepInProgress, Start: start}}
	cases := []struct {
		name          string
		status        string
		progress      *dms.TaskProgress
		pct, remain   int
		wantStepCount int
	}{
		{"created, no progress", dms.TaskCreated, nil, 0, -1, 0},
		{"executing, no progress", dms.TaskExecuting, nil, 0, -1, 0},
		{"executing, nothing done yet", dms.TaskExecuting, &dms.TaskProgress{Total: 10}, 0, -1, 0},
		{"executing, a quarter in 30 s", dms.TaskExecuting, &dms.TaskProgress{Done: 25, Total: 100, Steps: steps}, 25, 90, 1},
		{"executing, all units done, last step left", dms.TaskExecuting, &dms.TaskProgress{Done: 4, Total: 4}, 99, 0, 0},
		{"success without progress", dms.TaskSuccess, nil, 100, 0, 0},
		{"success with partial progress", dms.TaskSuccess, &dms.TaskProgress{Done: 1, Total: 4}, 100, 0, 0},
		{"failed half way", dms.TaskFailed, &dms.TaskProgress{Done: 2, Total: 4}, 50, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := progressOf(dms.Task{Status: c.status, CreatedAt: start, Progress: c.progress}, now)
			if got.Percentage != c.pct || got.RemainSeconds != c.remain || len(got.Steps) != c.wantStepCount {
				t.Fatalf("progressOf = %+v, want %d %%, %d s, %d steps", got, c.pct, c.remain, c.wantStepCount)
			}
		})
	}
}
