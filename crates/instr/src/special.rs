//! Opcodes `dis` treats specially, looked up once per version table.

use bytescope_opcodes::OpcodeTable;

macro_rules! special_ops {
    ($($field:ident = $name:literal),* $(,)?) => {
        /// Opcode numbers of the opcodes whose argument `dis` decodes
        /// specially; `None` where the version lacks them.
        #[derive(Clone, Copy, Debug)]
        #[allow(non_snake_case)]
        pub struct Special {
            $(
                #[doc = $name]
                pub $field: Option<u8>,
            )*
        }

        impl Special {
            /// Looks every special opcode up in `table`.
            #[must_use]
            pub fn new(table: &OpcodeTable) -> Self {
                Special { $($field: table.opcode($name),)* }
            }
        }
    };
}

special_ops! {
    LOAD_CONST = "LOAD_CONST",
    LOAD_GLOBAL = "LOAD_GLOBAL",
    LOAD_ATTR = "LOAD_ATTR",
    LOAD_SUPER_ATTR = "LOAD_SUPER_ATTR",
    IMPORT_NAME = "IMPORT_NAME",
    FORMAT_VALUE = "FORMAT_VALUE",
    CONVERT_VALUE = "CONVERT_VALUE",
    MAKE_FUNCTION = "MAKE_FUNCTION",
    SET_FUNCTION_ATTRIBUTE = "SET_FUNCTION_ATTRIBUTE",
    BINARY_OP = "BINARY_OP",
    CALL_INTRINSIC_1 = "CALL_INTRINSIC_1",
    CALL_INTRINSIC_2 = "CALL_INTRINSIC_2",
    LOAD_FAST_LOAD_FAST = "LOAD_FAST_LOAD_FAST",
    LOAD_FAST_BORROW_LOAD_FAST_BORROW = "LOAD_FAST_BORROW_LOAD_FAST_BORROW",
    STORE_FAST_LOAD_FAST = "STORE_FAST_LOAD_FAST",
    STORE_FAST_STORE_FAST = "STORE_FAST_STORE_FAST",
    LOAD_COMMON_CONSTANT = "LOAD_COMMON_CONSTANT",
    LOAD_SPECIAL = "LOAD_SPECIAL",
    IS_OP = "IS_OP",
    CONTAINS_OP = "CONTAINS_OP",
}

impl Special {
    /// Whether `op` is one of the paired-local opcodes (3.13+).
    #[must_use]
    pub fn is_paired_local(&self, op: u8) -> bool {
        [
            self.LOAD_FAST_LOAD_FAST,
            self.LOAD_FAST_BORROW_LOAD_FAST_BORROW,
            self.STORE_FAST_LOAD_FAST,
            self.STORE_FAST_STORE_FAST,
        ]
        .contains(&Some(op))
    }
}
