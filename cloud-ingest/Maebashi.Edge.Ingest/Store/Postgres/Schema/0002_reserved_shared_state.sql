-- Schema version 2 is the pipeline's shared state (deny list, card statuses, Data Protection keys, clinic queue
-- notifications: branch h14-pipeline-state, 0002_shared_state.sql). This placeholder keeps the versions contiguous on
-- the branch that adds version 4 (the web's state); it changes nothing and goes when that branch's file comes in.
SELECT 1;
