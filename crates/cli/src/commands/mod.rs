//! One module per subcommand.

pub mod header;
pub mod rewrite;
