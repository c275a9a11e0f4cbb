"""Enterprise credit: the dated policy, the grading rules, repair, the public list, vessel compliance."""
