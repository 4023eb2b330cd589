//! One module per subcommand.

pub mod asm;
pub mod cfg;
pub mod check;
pub mod diff;
pub mod dis;
pub mod extract;
pub mod header;
pub mod info;
pub mod inspect;
pub mod rewrite;
pub mod scan;
pub mod stack;
pub mod table;
