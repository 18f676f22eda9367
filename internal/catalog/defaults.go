package catalog

// The default catalog. Line numbers are those of shared/seed/dms-kafka-api-reference.txt ("the
// reference"); "SDK" is the official Go SDK v0.1.207, services/kafka/v2/model.

// Disk I/O spec codes. The V2 ones are the storage_spec_code values of 5.1.1 (line 639) and the io_spec
// values of the 5.12.3 example; the V1 ones those of 7.1.1.1 and 7.1.2.2.
const (
	StorageHighV2  = "dms.physical.storage.high.v2"  // high I/O
	StorageUltraV2 = "dms.physical.storage.ultra.v2" // ultra-high I/O
	StorageHigh    = "dms.physical.storage.high"     // V1: high I/O, SAS disks
	StorageUltra   = "dms.physical.storage.ultra"    // V1: ultra-high I/O, SSD disks
)

// FeatureConnectorOBS is the message dumping feature (support_features of 5.12.3).
const FeatureConnectorOBS = "connector_obs"

// DefaultVersions are the engine_version values of 5.1.1 (line 602: 1.1.0, 2.7, 3.x). The 5.12.3 example
// lists "1.1.0", "2.3.0"; 5.1.1 and the SDK's CreateInstanceByEngineReq.EngineVersion win.
func DefaultVersions() []string { return []string{"1.1.0", "2.7", "3.x"} }

// DefaultAZs are three AZs named for the region, so both 1-AZ and 3-AZ instances (5.1.1: "1 AZ or at
// least 3 AZs") can be created. The first is the default AZ.
func DefaultAZs(region string) []AZ {
	out := make([]AZ, 0, 3)
	for i, suffix := range []string{"a", "b", "c"} {
		code := region + suffix
		out = append(out, AZ{
			ID:      DeriveAZID(code),
			Code:    code,
			Name:    "AZ" + string(rune('1'+i)),
			Port:    "443", // one of the two values of the 5.12.2 example ("8003", "443")
			Default: i == 0,
		})
	}
	return out
}

// DefaultProducts are the five c6 cluster flavors of the 5.12.3 example (lines 23912–24116).
//
// Where the reference disagrees with itself or with the SDK:
//   - max_broker: the 5.12.3 and 5.4.2 examples say 30 for every flavor; the SDK
//     (ShowKafkaProductCoresRequest.BrokerNum, CreateInstanceByEngineReq.BrokerNum) says 3–30 for
//     2u4g/4u8g and 3–50 for 8u16g/12u24g/16u32g, and 5.1.1's storage_space maxima (line 604:
//     300,000 / 600,000 / 1,500,000 GB) are exactly max_broker x max_storage_per_node with 30/30/50/50/50.
//     The SDK wins: 50 for the three larger flavors.
//   - min_storage_per_node: the 5.12.3 example says 200/400/800/1200/1600 GB; the 5.4.2 example says 100
//     for every flavor, and 5.1.1 (line 604) and the SDK's CreateInstanceByEngineReq.StorageSpace give
//     300 GB as the minimum storage_space of every flavor, i.e. 100 GB for each of the 3 minimum brokers.
//     100 GB is taken, so the documented 300 GB minimum instance can be created.
//   - vcpus/memory_gb are not a field of any API: they are read from the flavor name (c6.2u4g = 2 vCPUs,
//     4 GB) and agree with the ECS flavors (c6.large.2 = 2 vCPUs with 2 GB per vCPU).
func DefaultProducts() []Product {
	connector := []Feature{{Name: FeatureConnectorOBS, MinTask: 1, MaxTask: 10, MinNode: 2, MaxNode: 10}}
	mk := func(id, alias, ecs string, vcpus, mem, maxBroker, maxStorage, partitions, tps int) Product {
		return Product{
			ID: id, Alias: alias, Type: "cluster", ECSFlavorID: ecs, BillingCode: "dms.platinum.c6",
			ArchTypes: []string{"X86"}, ChargingModes: []string{"monthly", "hourly"},
			VCPUs: vcpus, MemoryGB: mem,
			MinBroker: 3, MaxBroker: maxBroker,
			MinStoragePerNode: 100, MaxStoragePerNode: maxStorage,
			MaxPartitionPerBroker: partitions, MaxConsumerPerBroker: 4000,
			MaxTPSPerBroker: tps, MaxBandwidthPerBroker: 100,
			StorageSpecCodes: []string{StorageHighV2, StorageUltraV2},
			SupportFeatures:  connector,
		}
	}
	return []Product{
		mk("c6.2u4g.cluster", "kafka.2u4g.cluster", "c6.large.2", 2, 4, 30, 10000, 250, 30000),
		mk("c6.4u8g.cluster", "kafka.4u8g.cluster", "c6.xlarge.2", 4, 8, 30, 20000, 500, 100000),
		mk("c6.8u16g.cluster", "kafka.8u16g.cluster", "c6.2xlarge.2", 8, 16, 50, 30000, 1000, 150000),
		mk("c6.12u24g.cluster", "kafka.12u24g.cluster", "c6.3xlarge.2", 12, 24, 50, 30000, 1500, 200000),
		mk("c6.16u32g.cluster", "kafka.16u32g.cluster", "c6.4xlarge.2", 16, 32, 50, 30000, 2000, 250000),
	}
}

// DefaultLegacyProducts are the four bandwidth specifications of the V1 APIs: product ids, spec codes,
// ECS flavors, tps, storage and partition_num from the 7.1.2.2 example (lines 26080–26260); the storage
// range (minimum per specification, 90,000 GB maximum), partition counts and I/O specs per
// specification from 7.1.1.1 (lines 24886–24915). The broker counts 3/3/4/8 are not stated anywhere;
// they are inferred from 7.1.1.1's public_bandwidth ("a multiple of the number of brokers", with the
// minimums 3, 3, 4 and 8 for 100MB, 300MB, 600MB and 1200MB).
func DefaultLegacyProducts() []LegacyProduct {
	both := []string{StorageHigh, StorageUltra}
	ultra := []string{StorageUltra}
	return []LegacyProduct{
		{Bandwidth: "100MB", HourlyProductID: "00300-30308-0--0", MonthlyProductID: "00300-30309-0--0",
			SpecCode: "dms.instance.kafka.cluster.c3.mini", ECSFlavorID: "c3.large.2", BrokerNum: 3,
			TPS: 50000, MinStorage: 600, MaxStorage: 90000, PartitionNum: 300, StorageSpecCodes: both},
		{Bandwidth: "300MB", HourlyProductID: "00300-30310-0--0", MonthlyProductID: "00300-30311-0--0",
			SpecCode: "dms.instance.kafka.cluster.c3.small.2", ECSFlavorID: "c3.xlarge.2", BrokerNum: 3,
			TPS: 100000, MinStorage: 1200, MaxStorage: 90000, PartitionNum: 900, StorageSpecCodes: both},
		{Bandwidth: "600MB", HourlyProductID: "00300-30312-0--0", MonthlyProductID: "00300-30313-0--0",
			SpecCode: "dms.instance.kafka.cluster.c3.middle.2", ECSFlavorID: "c3.2xlarge.2", BrokerNum: 4,
			TPS: 200000, MinStorage: 2400, MaxStorage: 90000, PartitionNum: 1800, StorageSpecCodes: ultra},
		{Bandwidth: "1200MB", HourlyProductID: "00300-30314-0--0", MonthlyProductID: "00300-30315-0--0",
			SpecCode: "dms.instance.kafka.cluster.c3.high.2", ECSFlavorID: "c3ne.2xlarge.2", BrokerNum: 8,
			TPS: 300000, MinStorage: 4800, MaxStorage: 90000, PartitionNum: 1800, StorageSpecCodes: ultra},
	}
}

// DefaultMaintainWindows are the six 4-hour windows of 5.12.1 (lines 23391–23422) and 7.1.2.3, in their
// order (seq 1 = 22:00–02:00), with 02:00–06:00 the default.
func DefaultMaintainWindows() []MaintainWindow {
	return []MaintainWindow{
		{Seq: 1, Begin: "22:00:00", End: "02:00:00"},
		{Seq: 2, Begin: "02:00:00", End: "06:00:00", Default: true},
		{Seq: 3, Begin: "06:00:00", End: "10:00:00"},
		{Seq: 4, Begin: "10:00:00", End: "14:00:00"},
		{Seq: 5, Begin: "14:00:00", End: "18:00:00"},
		{Seq: 6, Begin: "18:00:00", End: "22:00:00"},
	}
}
