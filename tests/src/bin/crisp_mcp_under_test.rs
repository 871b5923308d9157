//! `crisp-mcp` as the MCP tests start it: the generated command's `main`, built in this
//! package so that the tests know its path (`CARGO_BIN_EXE_…` names only a package's own
//! binaries).

fn main() -> std::process::ExitCode {
    crisp_mcp::main()
}
