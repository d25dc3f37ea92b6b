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
    fn keys_round_trip() {
        for s in ReviewState::ALL {
            assert_eq!(ReviewState::from_key(s.key()), Some(*s));
        }
    }
}
