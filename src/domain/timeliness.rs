//! Whether a dossier is on time ("Đúng hạn") or late ("Trễ hạn").

/// The two answers the look-up reply can give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeliness {
    OnTime,
    Late,
}

impl Timeliness {
    /// The words the announcement uses.
    pub fn label(self) -> &'static str {
        match self {
            Timeliness::OnTime => "Đúng hạn",
            Timeliness::Late => "Trễ hạn",
        }
    }
}

/// Judges a dossier: a finished one by when it was finished, an open one by
/// the clock. A dossier without a due date cannot be late.
///
/// All arguments are Unix seconds; `due_at` is the last second that still
/// counts as on time.
pub fn judge(due_at: Option<i64>, resolved_at: Option<i64>, now: i64) -> Timeliness {
    match due_at {
        None => Timeliness::OnTime,
        Some(due) => {
            let t = resolved_at.unwrap_or(now);
            if t <= due {
                Timeliness::OnTime
            } else {
                Timeliness::Late
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_dossiers_are_judged_by_the_clock() {
        assert_eq!(judge(Some(100), None, 99), Timeliness::OnTime);
        assert_eq!(judge(Some(100), None, 100), Timeliness::OnTime);
        assert_eq!(judge(Some(100), None, 101), Timeliness::Late);
    }

    #[test]
    fn finished_dossiers_are_judged_by_when_they_finished() {
        assert_eq!(judge(Some(100), Some(90), 1000), Timeliness::OnTime);
        assert_eq!(judge(Some(100), Some(150), 120), Timeliness::Late);
    }

    #[test]
    fn no_due_date_is_never_late() {
        assert_eq!(judge(None, None, i64::MAX), Timeliness::OnTime);
        assert_eq!(Timeliness::Late.label(), "Trễ hạn");
    }
}
