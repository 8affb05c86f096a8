-- Joint tender proposals and the demand lines they hold.
CREATE TABLE proposals (
    id TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('vehicle', 'printer', 'pc')),
    cpv TEXT NOT NULL,
    spec TEXT NOT NULL,
    budget_year INTEGER NOT NULL,
    unit_ids TEXT NOT NULL,
    lead_entity_id TEXT NOT NULL,
    total_quantity BIGINT NOT NULL,
    estimated_value_chf BIGINT NOT NULL,
    procedure TEXT NOT NULL CHECK (procedure IN ('direct', 'invitation', 'open')),
    treaty_area BOOLEAN NOT NULL,
    needed_by DATE NOT NULL,
    tender_start_by DATE NOT NULL,
    estimated_savings_chf BIGINT NOT NULL,
    savings_breakdown TEXT NOT NULL,
    warnings TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'tendered', 'awarded', 'rejected', 'cancelled')),
    decision TEXT,
    tender_reference TEXT,
    awarded_supplier TEXT,
    awarded_value_chf BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX proposals_by_status ON proposals (status, budget_year);
CREATE INDEX proposals_by_order ON proposals (created_at, position);

CREATE TABLE proposal_lines (
    proposal_id TEXT NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    demand_id TEXT NOT NULL REFERENCES demands (id),
    position INTEGER NOT NULL,
    unit_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price_chf BIGINT NOT NULL,
    needed_by DATE NOT NULL,
    demand_version BIGINT NOT NULL,
    live BOOLEAN NOT NULL,
    PRIMARY KEY (proposal_id, demand_id)
);
-- A demand line is in at most one live (draft, approved, tendered) proposal.
CREATE UNIQUE INDEX proposal_lines_one_live_proposal ON proposal_lines (demand_id) WHERE live;
CREATE INDEX proposal_lines_by_unit ON proposal_lines (unit_id, proposal_id);
