"""The analytics section of a customer's page: scores, their history, the ladder."""

from typing import Any

from django.forms import Form

from clientela.analytics import selectors, wording
from clientela.analytics.forms import CustomerWalletForm, LadderClearForm, LadderOverrideForm
from clientela.analytics.models import LadderStage
from clientela.core.access import Capability, user_can
from clientela.core.models import User
from clientela.customers.models import Customer

# Scores shown in the history, the latest ones.
HISTORY_ROWS = 12


def customer_analytics_panel(
    customer: Customer,
    user: User,
    *,
    stage_form: Form | None = None,
    clear_form: Form | None = None,
    wallet_form: Form | None = None,
) -> dict[str, Any] | None:
    """The customer's latest scores and their history, their changes of stage and, for
    who may, the forms to set the stage by hand and to record a share of wallet (the
    forms given are shown instead of empty ones: refused, with their errors)."""
    if not user_can(user, Capability.ANALYTICS_VIEW):
        return None
    history = list(
        selectors.customer_score_history(customer=customer).order_by("-as_of")[:HISTORY_ROWS]
    )
    latest = history[0] if history else None
    history.reverse()
    override = selectors.ladder_override_get(customer=customer)
    live = customer.merged_into_id is None
    can_override = user_can(user, Capability.LADDER_OVERRIDE) and live
    can_wallet = user_can(user, Capability.CUSTOMER_EDIT) and live
    stage = override.stage if override else (latest.inferred_stage if latest else "")
    if can_override and stage_form is None:
        stage_form = LadderOverrideForm(
            prefix="stage", initial={"stage": stage or LadderStage.BUYER}
        )
    if can_override and override and clear_form is None:
        clear_form = LadderClearForm(prefix="clear")
    if can_wallet and wallet_form is None:
        wallet_form = CustomerWalletForm(prefix="wallet")
    run = selectors.analysis_run_of(as_of=latest.as_of) if latest else None
    return {
        "customer": customer,
        "score": latest,
        "churn": wording.churn_labels(latest) if latest else [],
        "notes": wording.score_notes(latest, run) if latest else [],
        "explain": wording.figure_explanations(run),
        "segment_explanation": wording.RFM_EXPLANATIONS.get(latest.rfm_segment, "")
        if latest
        else "",
        "history": history,
        "transitions": list(selectors.ladder_transition_list(customer=customer)),
        "override": override,
        "stage": stage,
        "stage_label": LadderStage(stage).label if stage in LadderStage.values else "",
        "wallet": selectors.customer_wallet_latest(customer=customer),
        "stage_form": stage_form if can_override else None,
        "clear_form": clear_form if can_override and override else None,
        "wallet_form": wallet_form if can_wallet else None,
    }
