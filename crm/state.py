"""The CRM deal pipeline, declared once.

crm.services.crm_deal_move_stage moves a deal through agnt.transitions against this
table, the database re-checks it with a trigger generated from it
(crm/migrations/0002_crm_db_rules.py via agnt.db.EnforceTransitions), and every move
writes a CrmActivity of kind stage_change.
"""

from django.db import models


class DealStage(models.TextChoices):
    LEAD = "lead", "Lead"
    QUALIFIED = "qualified", "Qualified"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


S = DealStage
# Open stages may jump forward (a warm lead can go straight to a proposal) or step one
# stage back; a deal can be lost from any open stage but won only once a proposal is on
# the table. Won is final; a lost deal may be reopened as a fresh lead.
DEAL_TRANSITIONS: dict[str, frozenset[str]] = {
    S.LEAD: frozenset({S.QUALIFIED, S.PROPOSAL, S.NEGOTIATION, S.LOST}),
    S.QUALIFIED: frozenset({S.LEAD, S.PROPOSAL, S.NEGOTIATION, S.LOST}),
    S.PROPOSAL: frozenset({S.QUALIFIED, S.NEGOTIATION, S.WON, S.LOST}),
    S.NEGOTIATION: frozenset({S.PROPOSAL, S.WON, S.LOST}),
    S.WON: frozenset(),
    S.LOST: frozenset({S.LEAD}),
}
OPEN_STAGES = frozenset({S.LEAD, S.QUALIFIED, S.PROPOSAL, S.NEGOTIATION})
CLOSED_STAGES = frozenset({S.WON, S.LOST})
