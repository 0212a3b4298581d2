-- Schema version 3 is reserved for another change of the same session. This placeholder keeps the versions
-- contiguous on the branch that adds version 4 (the web's state); it changes nothing and goes when version 3 comes in.
SELECT 1;
