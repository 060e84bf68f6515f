//! The UI kit: the pieces every page is built from, so each looks and behaves the same
//! everywhere and a page says only what is special about it. It imports no page.
//!
//! * `table`: data tables (sortable headers with `aria-sort`, empty row, loading rows,
//!   linked rows) and `skeleton`: placeholders while data loads.
//! * `loaded`: a resource shown through a skeleton, the error alert, or the page's view.
//! * `alert`: errors and warnings; `toast`: short notes after an action; `field`: labelled
//!   inputs with their server errors.
//! * `confirm`: typed confirmation for destructive actions, price and balance for paid ones.
//! * `money`, `relative_time`, `badge` (CMR statuses), `copy`, `pager`, `history`.
//! * `section`: a titled table of a part of a page that may fail on its own.
//! * `fetched`: how fresh a page's CMR data is, with a refresh that reads CMR again.

pub mod alert;
pub mod badge;
pub mod confirm;
pub mod copy;
pub mod fetched;
pub mod field;
pub mod history;
pub mod loaded;
pub mod money;
pub mod pager;
pub mod relative_time;
pub mod section;
pub mod skeleton;
pub mod table;
pub mod toast;
