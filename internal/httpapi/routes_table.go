package httpapi

// routeTable lists every API of chapters 5 and 7 of the DMS for Kafka API reference (seed/API-INDEX.md),
// in document order, followed where needed by the path variants the official Go SDK (kafka/v2 v0.1.207)
// or the reference's own examples send instead, and then by the SDK operations that have no section
// (design/sdk-compat.md §1.1 and §1.2).
//
// Section variants sit right after their section's entry. Op is the Go SDK operation that sends exactly
// that method and path ("" when none does). Action is the IAM action from seed/permissions.tsv where the
// route is listed there, else the nearest action of the same naming: reads dms:instance:get (listing
// instances dms:instance:list), writes dms:instance:modify, and so on. Catalog APIs without a project in
// the path have Action "" (any authenticated caller may read them).
//
// Routing is by specificity, not by position in this table: at the first segment where two patterns
// differ, a literal beats a parameter. Patterns of the same method overlap only where a {project_id} or
// {instance_id} would equal a literal ("kafka", "instances", ...), which real ids never do. The overlaps a
// real request can hit are resolved the right way: /v2/{project_id}/kafka/instances[/{instance_id}/extend]
// (SDK forms) also match 5.1.1, 5.4.1 and 5.4.2 with {engine}={project_id} and {project_id}="kafka", and
// the literal "kafka" in segment 3 wins. Across methods, a consumer group named "batch-delete" makes
// GET/DELETE .../groups/{group} share a path with 5.6.3's POST .../groups/batch-delete, so the router must
// match the method before it prefers a literal. TestRouteTableSpecificity checks a realistic path per route.
var routeTable = []RouteSpec{
	// 5.1 Managing Lifecycle
	{Section: "5.1.1", Op: "CreateInstanceByEngine", Title: "Creating an Instance", Method: "POST", Pattern: "/v2/{engine}/{project_id}/instances", Action: "dms:instance:create", Variant: ""},
	{Section: "5.1.2", Op: "ListInstances", Title: "Listing All Instances", Method: "GET", Pattern: "/v2/{project_id}/instances", Action: "dms:instance:list", Variant: ""},
	{Section: "5.1.3", Op: "ShowInstance", Title: "Querying an Instance", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}", Action: "dms:instance:get", Variant: ""},
	{Section: "5.1.4", Op: "DeleteInstance", Title: "Deleting an Instance", Method: "DELETE", Pattern: "/v2/{project_id}/instances/{instance_id}", Action: "dms:instance:delete", Variant: ""},
	{Section: "5.1.5", Op: "UpdateInstance", Title: "Modifying Instance Information", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}", Action: "dms:instance:modify", Variant: ""},
	// permissions.tsv gives two actions: "Restart: dms:instance:modifyStatus; Delete: dms:instance:delete".
	// The route checks modifyStatus; the handler checks dms:instance:delete when the body's action is "delete".
	{Section: "5.1.6", Op: "BatchRestartOrDeleteInstances", Title: "Batch Restarting or Deleting Instances", Method: "POST", Pattern: "/v2/{project_id}/instances/action", Action: "dms:instance:modifyStatus", Variant: ""},
	{Section: "5.1.7", Op: "ShowInstanceConfigs", Title: "Obtaining Instance Configurations", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/configs", Action: "dms:instance:get", Variant: ""},
	{Section: "5.1.8", Op: "ModifyInstanceConfigs", Title: "Modifying Instance Configurations", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/configs", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.1.9", Op: "UpgradeInstance", Title: "Upgrading an Instance", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/upgrade", Action: "dms:instance:modify", Variant: ""},

	// 5.2 Instance Management
	{Section: "5.2.1", Op: "ResetPassword", Title: "Resetting the Password", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/password", Action: "dms:instance:resetAuthInfo", Variant: ""},
	{Section: "5.2.2", Op: "ResetManagerPassword", Title: "Resetting Kafka Manager Password", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/kafka-manager-password", Action: "dms:instance:resetAuthInfo", Variant: ""},
	{Section: "5.2.3", Op: "RestartManager", Title: "Restarting Kafka Manager", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/restart-kafka-manager", Action: "dms:instance:modifyStatus", Variant: ""},
	{Section: "5.2.4", Op: "UpdateInstanceAutoCreateTopic", Title: "Configuring Automatic Topic Creation", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/autotopic", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.2.5", Op: "UpdateInstanceCrossVpcIp", Title: "Modifying the Private IP Address for Cross-VPC Access", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/crossvpc/modify", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.2.6", Op: "ShowCluster", Title: "Querying Kafka Cluster Metadata", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/management/cluster", Action: "dms:instance:get", Variant: ""},
	{Section: "5.2.7", Op: "ShowCoordinators", Title: "Querying Coordinator Details of a Kafka Instance", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/management/coordinators", Action: "dms:instance:get", Variant: ""},
	{Section: "5.2.8", Op: "", Title: "Reassigning Replicas of a Topic for a Kafka Instance", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/replicas-reassignment", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.2.9", Op: "UpdateKafkaPortProtocol", Title: "Modifying Kafka Access Modes", Method: "POST", Pattern: "/v2/{project_id}/{engine}/instances/{instance_id}/plain-ssl-switch", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.2.10", Op: "ShowKafkaTopicPartitionDiskusage", Title: "Querying the Disk Usage Status of Topics", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/topics/diskusage", Action: "dms:instance:get", Variant: ""},
	{Section: "5.2.11", Op: "", Title: "Initiating Partition Reassigning for a Kafka Instance", Method: "POST", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/reassign", Action: "dms:instance:modify", Variant: ""},
	// The SDK swaps "kafka" and {project_id}: /v2/{project_id}/kafka/… instead of /v2/kafka/{project_id}/….
	{Section: "5.2.11", Op: "CreateKafkaReassignmentTask", Title: "Initiating Partition Reassigning for a Kafka Instance", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/reassign", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "5.2.12", Op: "CloseKafkaManager", Title: "Disabling Kafka Manager", Method: "DELETE", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/management", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.2.13", Op: "DeleteKafkaUserClientQuotaTask", Title: "Deleting a User or Client Quota", Method: "DELETE", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/kafka-user-client-quota", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.2.14", Op: "ShowKafkaUserClientQuota", Title: "Querying User or Client Quotas", Method: "GET", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/kafka-user-client-quota", Action: "dms:instance:get", Variant: ""},
	{Section: "5.2.15", Op: "CreateKafkaUserClientQuotaTask", Title: "Creating User or Client Quotas", Method: "POST", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/kafka-user-client-quota", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.2.16", Op: "UpdateKafkaUserClientQuotaTask", Title: "Modifying User or Client Quotas", Method: "PUT", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/kafka-user-client-quota", Action: "dms:instance:modify", Variant: ""},

	// 5.3 Smart Connect
	{Section: "5.3.1", Op: "CreateConnector", Title: "Enabling Smart Connect (Pay-per-Use Instance)", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/connector", Action: "dms:instance:connector", Variant: ""},
	{Section: "5.3.2", Op: "DeleteConnector", Title: "Disabling Smart Connect (Pay-per-Use Instance)", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/delete-connector", Action: "dms:instance:connector", Variant: ""},
	{Section: "5.3.3", Op: "CreateConnectorTask", Title: "Creating a Smart Connect Task", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/connector/tasks", Action: "dms:instance:createConnectorSinkTask", Variant: ""},
	{Section: "5.3.4", Op: "ListConnectorTasks", Title: "Querying Smart Connect Tasks", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/connector/tasks", Action: "dms:instance:listConnectorSinkTask", Variant: ""},
	{Section: "5.3.5", Op: "ShowConnectorTask", Title: "Querying Smart Connect Task Details", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}", Action: "dms:instance:getConnectorSinkTask", Variant: ""},
	{Section: "5.3.6", Op: "DeleteConnectorTask", Title: "Deleting a Smart Connect Task", Method: "DELETE", Pattern: "/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}", Action: "dms:instance:deleteConnectorSinkTask", Variant: ""},
	{Section: "5.3.7", Op: "PauseConnectorTask", Title: "Pausing a Smart Connect Task", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}/pause", Action: "dms:instance:updateConnectorTask", Variant: ""},
	{Section: "5.3.8", Op: "ResumeConnectorTask", Title: "Restarting a Smart Connect Task", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}/resume", Action: "dms:instance:updateConnectorTask", Variant: ""},
	{Section: "5.3.9", Op: "RestartConnectorTask", Title: "Starting a Smart Connect Task or Restarting a Paused or Running Smart Connect Task", Method: "PUT", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/connector/tasks/{task_id}/restart", Action: "dms:instance:updateConnectorTask", Variant: ""},

	// 5.4 Specification Modification
	// permissions.tsv lists this action under ".../extends" (sic); the API path is ".../extend".
	{Section: "5.4.1", Op: "ResizeEngineInstance", Title: "Increasing Instance Specifications", Method: "POST", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/extend", Action: "dms:instance:scale", Variant: ""},
	{Section: "5.4.2", Op: "", Title: "Querying Product Information for Instance Specification Modification", Method: "GET", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/extend", Action: "dms:instance:get", Variant: ""},
	// The SDK sends /v2/{project_id}/kafka/instances/… (query "type") instead of /v2/{engine}/{project_id}/….
	{Section: "5.4.2", Op: "ShowKafkaInstanceExtendProductInfo", Title: "Querying Product Information for Instance Specification Modification", Method: "GET", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/extend", Action: "dms:instance:get", Variant: "sdk"},

	// 5.5 Topic Management
	{Section: "5.5.1", Op: "SendKafkaMessage", Title: "Producing Messages to Kafka", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/messages/action", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.5.2", Op: "CreateInstanceTopic", Title: "Creating a Topic for a Kafka Instance", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/topics", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.5.3", Op: "ListInstanceTopics", Title: "Listing Topics of a Kafka Instance", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/topics", Action: "dms:instance:get", Variant: ""},
	{Section: "5.5.4", Op: "UpdateInstanceTopic", Title: "Modifying Topics of a Kafka Instance", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/topics", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.5.5", Op: "BatchDeleteInstanceTopic", Title: "Batch Deleting Topics of a Kafka Instance", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/topics/delete", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.5.6", Op: "ListTopicPartitions", Title: "Querying the Partition List of a Topic", Method: "GET", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/partitions", Action: "dms:instance:get", Variant: ""},
	{Section: "5.5.7", Op: "ListTopicProducers", Title: "Querying the Current Producer List of a Topic", Method: "GET", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/producers", Action: "dms:instance:get", Variant: ""},
	{Section: "5.5.8", Op: "ShowInstanceTopicDetail", Title: "Querying Topic Details", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}", Action: "dms:instance:get", Variant: ""},

	// 5.6 Consumer Group Management
	{Section: "5.6.1", Op: "ShowGroups", Title: "Querying Consumer Group Details", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/management/groups/{group}", Action: "dms:instance:get", Variant: ""},
	{Section: "5.6.2", Op: "ListInstanceConsumerGroups", Title: "Querying All Consumer Groups", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/groups", Action: "dms:instance:get", Variant: ""},
	{Section: "5.6.3", Op: "BatchDeleteGroup", Title: "Deleting Consumer Groups of a Kafka Instance in Batches", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/groups/batch-delete", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.6.4", Op: "CreateKafkaConsumerGroup", Title: "Creating a Consumer Group", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/group", Action: "dms:instance:modify", Variant: ""},
	// Action as permissions.tsv gives for the deprecated form of this API (7.2.3.1).
	{Section: "5.6.5", Op: "ResetMessageOffsetWithEngine", Title: "Resetting Consumer Group Offset to the Specified Position", Method: "PUT", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset", Action: "dms:instance:modify", Variant: ""},
	// The URI table says PUT (the SDK's ResetMessageOffsetWithEngine sends PUT) but both of the
	// reference's examples send POST: accept POST on the same path too.
	{Section: "5.6.5", Op: "", Title: "Resetting Consumer Group Offset to the Specified Position", Method: "POST", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/reset-message-offset", Action: "dms:instance:modify", Variant: "fixed"},
	{Section: "5.6.6", Op: "ListInstanceConsumerGroupMessageOffset", Title: "Querying the Offset of a Consumer Group", Method: "GET", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}/message-offset", Action: "dms:instance:get", Variant: ""},
	{Section: "5.6.7", Op: "UpdateInstanceGroup", Title: "Modifying All Consumer Groups", Method: "PUT", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/groups", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.6.8", Op: "ListInstanceConsumerGroup", Title: "Querying a Specified Consumer Group", Method: "GET", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}", Action: "dms:instance:get", Variant: ""},
	{Section: "5.6.9", Op: "DeleteInstanceConsumerGroup", Title: "Deleting a Specified Consumer Group", Method: "DELETE", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.6.10", Op: "UpdateInstanceConsumerGroup", Title: "Modifying a Specified Consumer Group", Method: "PUT", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.6.11", Op: "ListInstanceConsumerGroupTopics", Title: "Querying Topics of a Specified Consumer Group", Method: "GET", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}/topics", Action: "dms:instance:get", Variant: ""},
	{Section: "5.6.12", Op: "ListInstanceConsumerGroupMembers", Title: "Querying Consumers in a Specified Consumer Group", Method: "GET", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/groups/{group}/members", Action: "dms:instance:get", Variant: ""},

	// 5.7 User Management
	{Section: "5.7.1", Op: "ShowInstanceUsers", Title: "Querying the User List", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/users", Action: "dms:instance:get", Variant: ""},
	{Section: "5.7.2", Op: "CreateInstanceUser", Title: "Creating a User", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/users", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.7.3", Op: "BatchDeleteInstanceUsers", Title: "Deleting Users in Batches", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/users", Action: "dms:instance:modify", Variant: ""},
	// permissions.tsv prints dms:instance:get for this write. Resetting a Kafka user's password with a
	// read-only role would be a privilege escalation, so OpenDMS requires dms:instance:modify here.
	{Section: "5.7.4", Op: "ResetUserPasswrod", Title: "Resetting a User Password", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/users/{user_name}", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.7.5", Op: "UpdateInstanceUser", Title: "Modifying User Parameters", Method: "PUT", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/users/{user_name}", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.7.6", Op: "ShowTopicAccessPolicy", Title: "Querying User Permissions", Method: "GET", Pattern: "/v1/{project_id}/instances/{instance_id}/topics/{topic_name}/accesspolicy", Action: "dms:instance:get", Variant: ""},
	{Section: "5.7.7", Op: "UpdateTopicAccessPolicy", Title: "Granting User Permissions", Method: "POST", Pattern: "/v1/{project_id}/instances/{instance_id}/topics/accesspolicy", Action: "dms:instance:modify", Variant: ""},

	// 5.8 Message Query
	{Section: "5.8.1", Op: "ShowInstanceMessages", Title: "Querying Messages", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/messages", Action: "dms:instance:get", Variant: ""},
	{Section: "5.8.2", Op: "ShowPartitionMessage", Title: "Querying a Message with a Specified Offset", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/partitions/{partition}/message", Action: "dms:instance:get", Variant: ""},
	{Section: "5.8.3", Op: "ShowMessages", Title: "Querying a Message with a Specified Time Period", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/messages", Action: "dms:instance:get", Variant: ""},
	{Section: "5.8.4", Op: "ShowPartitionBeginningMessage", Title: "Querying Offset of the Earliest Message in a Partition", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/partitions/{partition}/beginning-message", Action: "dms:instance:get", Variant: ""},
	{Section: "5.8.5", Op: "ShowPartitionEndMessage", Title: "Querying Offset of the Latest Message in a Partition", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/partitions/{partition}/end-message", Action: "dms:instance:get", Variant: ""},
	{Section: "5.8.6", Op: "", Title: "Deleting a Kafka Message", Method: "DELETE", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/messages", Action: "dms:instance:modify", Variant: ""},
	// The SDK sends POST …/messages/delete (with the same body) instead of DELETE …/messages.
	{Section: "5.8.6", Op: "DeleteKafkaTopicMessages", Title: "Deleting a Kafka Message", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/topics/{topic}/messages/delete", Action: "dms:instance:modify", Variant: "sdk"},

	// 5.9 Background Task Management
	{Section: "5.9.1", Op: "ListBackgroundTasks", Title: "Listing Background Tasks", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/tasks", Action: "dms:instance:getBackgroundTask", Variant: ""},
	{Section: "5.9.2", Op: "ShowBackgroundTask", Title: "Querying a Background Task", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/tasks/{task_id}", Action: "dms:instance:getBackgroundTask", Variant: ""},
	{Section: "5.9.3", Op: "DeleteBackgroundTask", Title: "Deleting a Background Task", Method: "DELETE", Pattern: "/v2/{project_id}/instances/{instance_id}/tasks/{task_id}", Action: "dms:instance:deleteBackgroundTask", Variant: ""},

	// 5.10 Tag Management
	{Section: "5.10.1", Op: "BatchCreateOrDeleteKafkaTag", Title: "Batch Adding or Deleting Tags", Method: "POST", Pattern: "/v2/{project_id}/kafka/{instance_id}/tags/action", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.10.2", Op: "ShowKafkaTags", Title: "Listing Tags of an Instance", Method: "GET", Pattern: "/v2/{project_id}/kafka/{instance_id}/tags", Action: "dms:instance:get", Variant: ""},
	{Section: "5.10.3", Op: "ShowKafkaProjectTags", Title: "Listing Tags of a Project", Method: "GET", Pattern: "/v2/{project_id}/kafka/tags", Action: "dms:instance:get", Variant: ""},

	// 5.11 Message Stack Diagnosis
	{Section: "5.11.1", Op: "ShowDiagnosisPreCheck", Title: "Pre-check Before Diagnosing Message Stack", Method: "GET", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/diagnosis-check", Action: "dms:instance:get", Variant: ""},
	{Section: "5.11.2", Op: "CreateMessageDiagnosisTask", Title: "Creating a Message Stack Diagnosis Task", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/message-diagnosis-tasks", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.11.3", Op: "ListMessageDiagnosisReports", Title: "Querying the Message Stack Diagnosis Report List", Method: "GET", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/message-diagnosis-tasks", Action: "dms:instance:get", Variant: ""},
	{Section: "5.11.4", Op: "BatchDeleteMessageDiagnosisReports", Title: "Batch Deleting Message Stack Diagnosis Reports", Method: "DELETE", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/message-diagnosis-tasks", Action: "dms:instance:modify", Variant: ""},
	{Section: "5.11.5", Op: "ShowMessageDiagnosisReport", Title: "Querying Diagnosis Report Details", Method: "GET", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/message-diagnosis/{report_id}", Action: "dms:instance:get", Variant: ""},

	// 5.12 Other APIs
	{Section: "5.12.1", Op: "ShowMaintainWindows", Title: "Listing Maintenance Time Windows", Method: "GET", Pattern: "/v2/instances/maintain-windows", Action: "", Variant: ""},
	{Section: "5.12.2", Op: "ListAvailableZones", Title: "Listing AZ Information", Method: "GET", Pattern: "/v2/available-zones", Action: "", Variant: ""},
	{Section: "5.12.3", Op: "ListEngineProducts", Title: "Querying Product Specifications List", Method: "GET", Pattern: "/v2/{engine}/products", Action: "", Variant: ""},
	{Section: "5.12.4", Op: "ShowCesHierarchy", Title: "Querying Kafka Instance Monitoring Dimensions", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/ces-hierarchy", Action: "dms:instance:get", Variant: ""},
	{Section: "5.12.5", Op: "ShowKafkaProductCores", Title: "Querying vCPUs of a Kafka Flavor", Method: "GET", Pattern: "/v2/kafka/products/cores", Action: "", Variant: ""},

	// 7.1.1 API V1: Lifecycle and Topic Management (out of date)
	{Section: "7.1.1.1", Op: "", Title: "Creating an Instance", Method: "POST", Pattern: "/v1.0/{project_id}/instances", Action: "dms:instance:create", Variant: ""},
	{Section: "7.1.1.2", Op: "", Title: "Querying an Instance", Method: "GET", Pattern: "/v1.0/{project_id}/instances/{instance_id}", Action: "dms:instance:get", Variant: ""},
	{Section: "7.1.1.3", Op: "", Title: "Modifying an Instance", Method: "PUT", Pattern: "/v1.0/{project_id}/instances/{instance_id}", Action: "dms:instance:modify", Variant: ""},
	{Section: "7.1.1.4", Op: "", Title: "Deleting an Instance", Method: "DELETE", Pattern: "/v1.0/{project_id}/instances/{instance_id}", Action: "dms:instance:delete", Variant: ""},
	// As 5.1.6: the route checks modifyStatus; the handler checks dms:instance:delete for action "delete".
	{Section: "7.1.1.5", Op: "", Title: "Restarting or Deleting Instances in Batches", Method: "POST", Pattern: "/v1.0/{project_id}/instances/action", Action: "dms:instance:modifyStatus", Variant: ""},
	{Section: "7.1.1.6", Op: "", Title: "Querying All Instances", Method: "GET", Pattern: "/v1.0/{project_id}/instances", Action: "dms:instance:list", Variant: ""},
	{Section: "7.1.1.7", Op: "", Title: "Creating a Topic in a Kafka Instance", Method: "POST", Pattern: "/v1.0/{project_id}/instances/{instance_id}/topics", Action: "dms:instance:modify", Variant: ""},
	{Section: "7.1.1.8", Op: "", Title: "Querying a Topic in a Kafka Instance", Method: "GET", Pattern: "/v1.0/{project_id}/instances/{instance_id}/topics", Action: "dms:instance:get", Variant: ""},
	{Section: "7.1.1.9", Op: "", Title: "Deleting Topics in a Kafka Instance in Batches", Method: "POST", Pattern: "/v1.0/{project_id}/instances/{instance_id}/topics/delete", Action: "dms:instance:modify", Variant: ""},

	// 7.1.2 API V1: Other APIs (out of date)
	{Section: "7.1.2.1", Op: "", Title: "Querying AZ Information", Method: "GET", Pattern: "/v1.0/availableZones", Action: "", Variant: ""},
	{Section: "7.1.2.2", Op: "", Title: "Querying Product Specifications", Method: "GET", Pattern: "/v1.0/products", Action: "", Variant: ""},
	{Section: "7.1.2.3", Op: "", Title: "Querying Maintenance Time Windows", Method: "GET", Pattern: "/v1.0/instances/maintain-windows", Action: "", Variant: ""},

	// 7.2.1 Legacy V2: Managing Lifecycle
	{Section: "7.2.1.1", Op: "", Title: "Querying an Instance", Method: "GET", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}", Action: "dms:instance:get", Variant: ""},

	// 7.2.2 Legacy V2: Instance Management
	{Section: "7.2.2.1", Op: "CreatePartition", Title: "Adding Partitions to a Topic for a Kafka Instance", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/management/topics/{topic}/partitions-reassignment", Action: "dms:instance:modify", Variant: ""},

	// 7.2.3 Legacy V2: Managing Consumer Groups
	{Section: "7.2.3.1", Op: "ResetMessageOffset", Title: "Resetting Consumer Group Offset to the Specified Position", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/management/groups/{group}/reset-message-offset", Action: "dms:instance:modify", Variant: ""},
	// The reference prints "/v2/{engine}/{project_id}instances/{instance_id}/groups" (missing "/");
	// the repaired form is registered (its example has the "/").
	{Section: "7.2.3.2", Op: "", Title: "Querying All Consumer Groups", Method: "GET", Pattern: "/v2/{engine}/{project_id}/instances/{instance_id}/groups", Action: "dms:instance:get", Variant: "fixed"},

	// 7.2.4 Legacy V2: Smart Connect
	{Section: "7.2.4.1", Op: "", Title: "Modifying Dumping Task Quotas", Method: "PUT", Pattern: "/v2/{project_id}/connectors/{connector_id}/sink-tasks", Action: "dms:instance:connector", Variant: ""},
	{Section: "7.2.4.2", Op: "", Title: "Creating an Order to Disable Dumping Connectors for an Instance", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/delete-connector-order", Action: "dms:instance:connector", Variant: ""},
	{Section: "7.2.4.3", Op: "", Title: "Creating a Dumping Task", Method: "POST", Pattern: "/v2/{project_id}/connectors/{connector_id}/sink-tasks", Action: "dms:instance:createConnectorSinkTask", Variant: ""},
	{Section: "7.2.4.4", Op: "", Title: "Listing Dumping Tasks", Method: "GET", Pattern: "/v2/{project_id}/connectors/{connector_id}/sink-tasks", Action: "dms:instance:listConnectorSinkTask", Variant: ""},
	{Section: "7.2.4.5", Op: "", Title: "Querying a Dumping Task", Method: "GET", Pattern: "/v2/{project_id}/connectors/{connector_id}/sink-tasks/{task_id}", Action: "dms:instance:getConnectorSinkTask", Variant: ""},
	{Section: "7.2.4.6", Op: "", Title: "Deleting a Dumping Task", Method: "DELETE", Pattern: "/v2/{project_id}/connectors/{connector_id}/sink-tasks/{task_id}", Action: "dms:instance:deleteConnectorSinkTask", Variant: ""},

	// SDK operations with no section in the reference (sdk-compat.md §1.2, the 40 minus the three
	// registered above as variants of 5.2.11, 5.4.2 and 5.8.6), in the order of sdk-compat.md §1.2.
	{Section: "sdk", Op: "CreatePostPaidKafkaInstance", Title: "Creating a pay-per-use instance (SDK alternative to 5.1.1; same request body)", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances", Action: "dms:instance:create", Variant: "sdk"},
	{Section: "sdk", Op: "ResizeKafkaInstance", Title: "Modifying instance specifications (SDK alternative path of 5.4.1)", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/extend", Action: "dms:instance:scale", Variant: "sdk"},
	{Section: "sdk", Op: "ShowKafkaScalePreCheckInfo", Title: "Pre-checking an instance specification modification", Method: "GET", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/extend-check", Action: "dms:instance:get", Variant: "sdk"},
	{Section: "sdk", Op: "ShowUpgradeInstanceVersion", Title: "Querying the version an instance can be upgraded to", Method: "GET", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/upgrade", Action: "dms:instance:get", Variant: "sdk"},
	{Section: "sdk", Op: "EnableDns", Title: "Enabling domain-name access for an instance", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/dns", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "ModifyKafkaPublicIpAccessSwitch", Title: "Enabling or disabling public access (public bandwidth) for an instance", Method: "POST", Pattern: "/v1/{project_id}/instances/{instance_id}/public-boundwidth", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "ShowRecycleInstances", Title: "Listing instances in the recycle bin", Method: "GET", Pattern: "/v2/{project_id}/recycle", Action: "dms:instance:list", Variant: "sdk"},
	{Section: "sdk", Op: "RestoreRecycleInstance", Title: "Restoring instances from the recycle bin", Method: "POST", Pattern: "/v2/{project_id}/recycle", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "ModifyRecyclePolicy", Title: "Modifying the recycle bin policy", Method: "PUT", Pattern: "/v2/{project_id}/recycle", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "ShowQuotas", Title: "Querying the instance quotas of a project", Method: "GET", Pattern: "/v2/{project_id}/quotas", Action: "dms:instance:list", Variant: "sdk"},
	{Section: "sdk", Op: "ListConfigFeatures", Title: "Listing the service feature switches", Method: "GET", Pattern: "/v2/config/features", Action: "", Variant: "sdk"},
	{Section: "sdk", Op: "ShowVolumeExpandConfig", Title: "Querying the automatic disk expansion configuration", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/auto-volume-expand", Action: "dms:instance:get", Variant: "sdk"},
	{Section: "sdk", Op: "UpdateVolumeExpansionConfig", Title: "Modifying the automatic disk expansion configuration", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/auto-volume-expand", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "ListScheduledTasks", Title: "Listing scheduled tasks of an instance", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/scheduled-tasks", Action: "dms:instance:getBackgroundTask", Variant: "sdk"},
	{Section: "sdk", Op: "UpdateScheduledTask", Title: "Modifying a scheduled task (execution time, status)", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/scheduled-tasks/{task_id}", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "DeleteScheduledTask", Title: "Deleting a scheduled task", Method: "DELETE", Pattern: "/v2/{project_id}/instances/{instance_id}/scheduled-tasks/{task_id}", Action: "dms:instance:deleteBackgroundTask", Variant: "sdk"},
	{Section: "sdk", Op: "ShowBackgroundTaskProgress", Title: "Querying the progress of a background task", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/tasks/{task_id}/progress", Action: "dms:instance:getBackgroundTask", Variant: "sdk"},
	{Section: "sdk", Op: "ShowGroup", Title: "Querying a consumer group (SDK path without {engine}; cf. 5.6.8)", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/groups/{group}", Action: "dms:instance:get", Variant: "sdk"},
	{Section: "sdk", Op: "DeleteGroup", Title: "Deleting a consumer group (SDK path without {engine}; cf. 5.6.9)", Method: "DELETE", Pattern: "/v2/{project_id}/instances/{instance_id}/groups/{group}", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "DeleteConsumerGroupOffsets", Title: "Deleting the committed offsets of a consumer group", Method: "POST", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/groups/{group}/delete-offset", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "ShowKafkaTopicDetail", Title: "Querying topic details (whole body is a JSON array)", Method: "GET", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/topics-detail/{topic}", Action: "dms:instance:get", Variant: "sdk"},
	{Section: "sdk", Op: "CreateKafkaTopicQuota", Title: "Creating topic quotas", Method: "POST", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/kafka-topic-quota", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "ShowKafkaTopicQuota", Title: "Querying topic quotas", Method: "GET", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/kafka-topic-quota", Action: "dms:instance:get", Variant: "sdk"},
	{Section: "sdk", Op: "ModifyKafkaTopicQuota", Title: "Modifying topic quotas", Method: "PUT", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/kafka-topic-quota", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "DeleteKafkaTopicQuota", Title: "Deleting topic quotas (DELETE with a body)", Method: "DELETE", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/kafka-topic-quota", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "ShowKafkaCluster", Title: "Querying Kafka cluster information (\"manage\", not \"management\"; cf. 5.2.6)", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/manage/cluster", Action: "dms:instance:get", Variant: "sdk"},
	{Section: "sdk", Op: "ShowKafkaLogTask", Title: "Querying a log collection task", Method: "GET", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/logs/{log_type}", Action: "dms:instance:get", Variant: "sdk"},
	{Section: "sdk", Op: "StartKafkaLogTask", Title: "Starting a log collection task", Method: "POST", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/logs/{log_type}", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "StopKafkaLogTask", Title: "Stopping a log collection task", Method: "DELETE", Pattern: "/v2/{project_id}/kafka/instances/{instance_id}/logs/{log_type}", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "CreateKafkaRebalanceLogTask", Title: "Starting collection of the consumer rebalance log", Method: "POST", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/log/rebalance-log", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "ShowKafkaRebalanceLog", Title: "Querying the consumer rebalance log", Method: "GET", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/log/rebalance-log", Action: "dms:instance:get", Variant: "sdk"},
	{Section: "sdk", Op: "StopKafkaRebalanceLogTask", Title: "Stopping collection of the consumer rebalance log", Method: "DELETE", Pattern: "/v2/kafka/{project_id}/instances/{instance_id}/log/rebalance-log", Action: "dms:instance:modify", Variant: "sdk"},
	{Section: "sdk", Op: "ShowConnectorResourceInfo", Title: "Querying Smart Connect resource information", Method: "GET", Pattern: "/v2/{project_id}/instances/{instance_id}/connector", Action: "dms:instance:connector", Variant: "sdk"},
	{Section: "sdk", Op: "ModifyConnectorTask", Title: "Modifying a Smart Connect task", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}", Action: "dms:instance:updateConnectorTask", Variant: "sdk"},
	{Section: "sdk", Op: "RestartSmartConnectorTask", Title: "Starting or restarting a Smart Connect task (SDK path without /kafka/; cf. 5.3.9)", Method: "PUT", Pattern: "/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}/restart", Action: "dms:instance:updateConnectorTask", Variant: "sdk"},
	{Section: "sdk", Op: "ValidateConnectorConnectivity", Title: "Validating the connectivity of a Smart Connect task endpoint", Method: "POST", Pattern: "/v2/{project_id}/instances/{instance_id}/connector/validate", Action: "dms:instance:createConnectorSinkTask", Variant: "sdk"},
	{Section: "sdk", Op: "ListObsBuckets", Title: "Listing OBS buckets (for dump tasks; whole body is a JSON array)", Method: "GET", Pattern: "/v1.0/dms/obs/buckets", Action: "", Variant: "sdk"},
}
