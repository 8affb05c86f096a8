DROP TABLE proposal_lines;
DROP TABLE proposals;
