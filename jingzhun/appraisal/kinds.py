"""The kinds of application one appraisal engine runs: their steps, their labels, what announcing does.

- identify (贫困户识别): today's procedure; announcing makes the household poor (or returned, 返贫);
- exit (贫困户退出): the 2016 exit mechanism's procedure — the village proposes after a democratic
  appraisal, the village committee and the work team verify, the household signs its consent, the
  village publishes a notice, the township reviews, the county announces and removes the household from
  the poor list; its policies continue for a transition period;
- monitor (防返贫监测对象识别): the identification steps (appraisal, check, notices, approval);
  announcing makes the household a monitored household (监测对象).

Each kind is a table of `Transition`s keyed by action. Who may take a step is the step's `level` asked
of `access.STEP_ROLES` (the one rule), whatever the kind. The state names are shared (so the deadlines
and the overdue list hold for every kind); a kind may name a state in its own words (`state_label`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation

from jingzhun.choices import Enum

KIND = Enum("application_kind", (
    ("identify", "贫困户识别", "poverty identification"),
    ("exit", "贫困户退出", "exit from poverty"),
    ("monitor", "监测对象识别", "monitoring identification"),
))
IDENTIFY, EXIT, MONITOR = "identify", "exit", "monitor"


@dataclass(frozen=True)
class Transition:
    label: str  # 中文 / English, for messages and the history
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    level: str  # the lowest area level whose officers may take the step

    # Messages are "中文 / English" and the web shows the half of the active language: a label inside a
    # message goes in by halves, or the split would cut the message at the label's own " / ".
    @property
    def zh(self) -> str:
        return self.label.split(" / ")[0]

    @property
    def en(self) -> str:
        return self.label.split(" / ")[-1]


IDENTIFY_STEPS: dict[str, Transition] = {
    "apply": Transition("提出申请 / apply", ("",), ("applied",), "village"),
    "appraise": Transition("民主评议 / village appraisal", ("applied",), ("appraised", "rejected"), "village"),
    "crosscheck": Transition("部门比对 / cross-department check", ("appraised",), ("checked",), "village"),
    "publish_first": Transition("发布一次公示 / publish first notice", ("checked",), ("first_notice",), "village"),
    "close_first": Transition("一次公示期满 / close first notice", ("first_notice",), ("township_review",), "village"),
    "object": Transition("公示异议 / objection", ("first_notice", "second_notice"), ("applied", "township_review"),
                         "village"),
    "township_approve": Transition("乡镇审核通过 / township approves", ("township_review",), ("township_approved",),
                                   "township"),
    "township_reject": Transition("乡镇审核不通过 / township rejects", ("township_review",), ("rejected",), "township"),
    "publish_second": Transition("发布二次公示 / publish second notice", ("township_approved",), ("second_notice",),
                                 "township"),
    "close_second": Transition("二次公示期满 / close second notice", ("second_notice",), ("county_review",), "township"),
    "county_approve": Transition("县级审批通过 / county approves", ("county_review",), ("approved",), "county"),
    "county_reject": Transition("县级审批不通过 / county rejects", ("county_review",), ("rejected",), "county"),
    "announce": Transition("公告 / announce", ("approved",), ("announced",), "county"),
}

# 贫困户退出：村“两委”组织民主评议后提出，经村“两委”和驻村工作队核实、拟退出贫困户认可，在村内公示无异议后，
# 公告退出 (《关于建立贫困退出机制的意见》, 2016). The township reviews and the county announces and removes the
# household from the list (销号), as the provinces' rules had it.
EXIT_STEPS: dict[str, Transition] = {
    "apply": Transition("提出退出 / propose the exit", ("",), ("applied",), "village"),
    "appraise": Transition("民主评议 / village appraisal", ("applied",), ("appraised", "rejected"), "village"),
    "verify": Transition("村两委和驻村工作队核实 / verification by the village committee and work team",
                         ("appraised",), ("verified", "rejected"), "village"),
    "consent": Transition("贫困户签字认可 / the household's signed consent", ("verified",), ("consented",), "village"),
    "decline": Transition("贫困户不认可 / the household does not consent", ("verified",), ("rejected",), "village"),
    "publish_first": Transition("发布退出公示 / publish the exit notice", ("consented",), ("first_notice",), "village"),
    "close_first": Transition("退出公示期满 / close the exit notice", ("first_notice",), ("township_review",),
                              "village"),
    "object": Transition("公示异议 / objection", ("first_notice",), ("applied",), "village"),
    "township_approve": Transition("乡镇审核通过 / township approves", ("township_review",), ("approved",),
                                   "township"),
    "township_reject": Transition("乡镇审核不通过 / township rejects", ("township_review",), ("rejected",), "township"),
    "announce": Transition("公告退出 / announce the exit", ("approved",), ("announced",), "county"),
}

STEPS: dict[str, dict[str, Transition]] = {
    IDENTIFY: IDENTIFY_STEPS,
    EXIT: EXIT_STEPS,
    MONITOR: IDENTIFY_STEPS,  # the identification steps: appraisal, check, notices, approval
}

# Every action of every kind with a label (the audit page names steps by their action).
ALL_STEPS: dict[str, Transition] = {**EXIT_STEPS, **IDENTIFY_STEPS}

# States a kind names in its own words (中文, English); the others keep `STATE`'s.
STATE_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    EXIT: {
        "applied": ("待民主评议", "awaiting village appraisal"),
        "appraised": ("待核实", "awaiting verification"),
        "first_notice": ("退出公示中", "exit notice running"),
        "approved": ("待公告退出", "awaiting the exit's announcement"),
        "announced": ("已公告退出", "exit announced"),
    },
}


def steps(kind: str) -> dict[str, Transition]:
    """The transition table of `kind`; KeyError-free: an unknown kind is a ValueError naming it."""
    try:
        return STEPS[kind]
    except KeyError:
        raise ValueError(f"申请类型须为 {'、'.join(KIND.codes)} 之一，而非 {kind!r} / "
                         f"the kind must be one of {', '.join(KIND.codes)}, got {kind!r}") from None


def state_zh(kind: str, state: str) -> str:
    from jingzhun.appraisal.models import STATE

    own = STATE_WORDS.get(kind, {}).get(state)
    return own[0] if own else STATE.zh(state)


def state_label(kind: str, state: str) -> str:
    """The state's name for `kind` in the active UI language."""
    from jingzhun.appraisal.models import STATE

    own = STATE_WORDS.get(kind, {}).get(state)
    if own is None:
        return STATE.label(state)
    return own[1] if (translation.get_language() or "zh-hans").startswith("en") else own[0]
