//! The client's type carries its token's tier: an operation reserved for one tier does not
//! compile on a client of the other (with an error naming the token it needs), and does on a
//! client of that tier or a dynamic one.

#[test]
fn operations_of_another_tier_do_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
