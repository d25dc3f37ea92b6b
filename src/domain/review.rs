//! The review state of one school's submission (PRODUCT.md §2).

use super::labels::labelled_enum;

labelled_enum! {
    /// Where a submission stands in the county's review.
    pub enum ReviewState {
        /// 未填报: the school sent nothing this period.
        Unfilled = "未填报", "unfilled";
        /// 待审核: data received, not yet decided.
        Submitted = "待审核", "submitted";
        /// 有疑问: a finding is still open.
        Flagged = "有疑问", "flagged";
        /// 退回重报: sent back to the school with a reason.
        Returned = "退回重报", "returned";
        /// 审核通过.
        Approved = "审核通过", "approved";
    }
}

impl ReviewState {
    /// The states in the order the review screen lists them by default: the schools waiting
    /// for the auditor's decision first.
    pub const BY_ATTENTION: [ReviewState; 5] = [
        ReviewState::Flagged,
        ReviewState::Submitted,
        ReviewState::Returned,
        ReviewState::Unfilled,
        ReviewState::Approved,
    ];

    /// Position in [`ReviewState::BY_ATTENTION`]: smaller comes first.
    pub fn attention(self) -> u8 {
        ReviewState::BY_ATTENTION.iter().position(|s| *s == self).unwrap_or(0) as u8
    }

    /// The stable key used in the store, in `--json` output and on the command line.
    pub fn key(self) -> &'static str {
        self.label_en()
    }

    pub fn from_key(key: &str) -> Option<ReviewState> {
        ReviewState::ALL.iter().copied().find(|s| s.key() == key)
    }

    /// The state after a new revision of the school's data arrives: nothing approved or
    /// returned changes silently, it goes back to the auditor's queue.
    pub fn after_new_revision(self, filled: bool) -> ReviewState {
        match (self, filled) {
            (_, false) => ReviewState::Unfilled,
            (ReviewState::Flagged, true) => ReviewState::Flagged,
            (_, true) => ReviewState::Submitted,
        }
    }
}

/// What the auditor can do to a school, and from which states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    /// 审核通过: from 待审核 or 有疑问.
    Approve,
    /// 退回重报: from 待审核, 有疑问 or 审核通过; a reason is required.
    Return,
    /// 标记有疑问 with a note: from 待审核, 有疑问 or 审核通过.
    Flag,
}

impl DecisionKind {
    /// The review log's name for it.
    pub fn key(self) -> &'static str {
        match self {
            DecisionKind::Approve => "approve",
            DecisionKind::Return => "return",
            DecisionKind::Flag => "flag",
        }
    }

    pub fn target(self) -> ReviewState {
        match self {
            DecisionKind::Approve => ReviewState::Approved,
            DecisionKind::Return => ReviewState::Returned,
            DecisionKind::Flag => ReviewState::Flagged,
        }
    }

    /// Whether a school in `state` can take this decision. Nothing can be decided about a school
    /// that sent nothing, and a returned school waits for its new sheet.
    pub fn allowed_from(self, state: ReviewState) -> bool {
        use ReviewState::*;
        match self {
            DecisionKind::Approve => matches!(state, Submitted | Flagged),
            DecisionKind::Return | DecisionKind::Flag => matches!(state, Submitted | Flagged | Approved),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_data_sends_decided_schools_back_to_the_queue() {
        assert_eq!(ReviewState::Approved.after_new_revision(true), ReviewState::Submitted);
        assert_eq!(ReviewState::Returned.after_new_revision(true), ReviewState::Submitted);
        assert_eq!(ReviewState::Unfilled.after_new_revision(true), ReviewState::Submitted);
        assert_eq!(ReviewState::Flagged.after_new_revision(true), ReviewState::Flagged);
        assert_eq!(ReviewState::Approved.after_new_revision(false), ReviewState::Unfilled);
    }

    #[test]
    fn decisions_need_a_sheet_and_a_returned_school_waits_for_its_new_one() {
        use DecisionKind::*;
        for kind in [Approve, Return, Flag] {
            assert!(!kind.allowed_from(ReviewState::Unfilled), "{kind:?}");
            assert!(!kind.allowed_from(ReviewState::Returned), "{kind:?}");
            assert!(kind.allowed_from(ReviewState::Flagged), "{kind:?}");
        }
        assert!(!Approve.allowed_from(ReviewState::Approved));
        assert!(Return.allowed_from(ReviewState::Approved), "an approval can still be taken back");
    }

    #[test]
    fn keys_round_trip() {
        for s in ReviewState::ALL {
            assert_eq!(ReviewState::from_key(s.key()), Some(*s));
        }
    }
}
