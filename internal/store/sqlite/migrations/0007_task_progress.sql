-- The progress of long tasks (reassignments, scaling): dms.TaskProgress as JSON, '' for none.
ALTER TABLE tasks ADD COLUMN progress TEXT NOT NULL DEFAULT '';
