package sqlite

import (
	"errors"
	"testing"
	"time"

	"github.com/opendms/opendms/internal/dms"
	"github.com/opendms/opendms/internal/store"
)

func TestGroupMetaAndDiagnoses(t *testing.T) {
	ctx, db, now := openWithInstance(t)

	g := dms.GroupMeta{InstanceID: "i1", Name: "g1", Description: "orders", CreatedAt: now}
	must(t, db.CreateGroupMeta(ctx, g))
	if err := db.CreateGroupMeta(ctx, g); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate group: %v", err)
	}
	g.Description = "payments"
	must(t, db.PutGroupMeta(ctx, g))
	must(t, db.PutGroupMeta(ctx, dms.GroupMeta{InstanceID: "i1", Name: "g0", CreatedAt: now}))
	gs, err := db.ListGroupMeta(ctx, "i1")
	if err != nil || len(gs) != 2 || gs[0].Name != "g0" || gs[1].Description != "payments" || !gs[1].CreatedAt.Equal(now) {
		t.Fatalf("ListGroupMeta = %+v, %v", gs, err)
	}
	must(t, db.DeleteGroupMeta(ctx, "i1", "g0"))
	must(t, db.DeleteGroupMeta(ctx, "i1", "g0"))

	r1 := dms.DiagnosisReport{ID: "r1", InstanceID: "i1", Group: "g1", Topic: "t", Status: dms.DiagnosisDiagnosing, BeginTime: now}
	r2 := dms.DiagnosisReport{ID: "r2", InstanceID: "i1", Group: "g1", Topic: "t", Status: dms.DiagnosisDiagnosing, BeginTime: now.Add(time.Second)}
	must(t, db.CreateDiagnosis(ctx, r1))
	must(t, db.CreateDiagnosis(ctx, r2))
	r1.Status, r1.EndTime, r1.AccumulatedPartitions = dms.DiagnosisAbnormal, now.Add(time.Minute), 2
	r1.Dimensions = []dms.DiagnosisDimension{{Name: "consumer", Items: []dms.DiagnosisItem{{Name: "consumer_active", Result: dms.ItemAbnormal,
		Causes: []dms.DiagnosisConclusion{{ID: 1, Params: map[string]string{"GROUP": "g1"}}}, Partitions: []int32{0, 2}}}}}
	must(t, db.UpdateDiagnosis(ctx, r1))
	got, err := db.GetDiagnosis(ctx, "r1")
	if err != nil || got.Status != dms.DiagnosisAbnormal || got.Dimensions[0].Items[0].Causes[0].Params["GROUP"] != "g1" || got.Dimensions[0].Items[0].Partitions[1] != 2 {
		t.Fatalf("GetDiagnosis = %+v, %v", got, err)
	}
	if _, err := db.GetDiagnosis(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing report: %v", err)
	}
	if err := db.UpdateDiagnosis(ctx, dms.DiagnosisReport{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing report: %v", err)
	}
	ls, err := db.ListDiagnoses(ctx, "i1")
	if err != nil || len(ls) != 2 || ls[0].ID != "r2" {
		t.Fatalf("ListDiagnoses = %+v, %v", ls, err)
	}
	// Rows go with their instance.
	must(t, db.DeleteInstance(ctx, "i1"))
	if gs, _ := db.ListGroupMeta(ctx, "i1"); len(gs) != 0 {
		t.Errorf("group rows left after the instance: %v", gs)
	}
	if ls, _ := db.ListDiagnoses(ctx, ""); len(ls) != 0 {
		t.Errorf("reports left after the instance: %v", ls)
	}
}
