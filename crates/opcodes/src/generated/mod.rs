//! PLACEHOLDER: replaced by tools/gen_opcodes.py.
use crate::OpcodeTable;
use bytescope_pyc::PythonVersion;

pub(crate) fn table(_version: PythonVersion) -> Option<&'static OpcodeTable> {
    None
}
