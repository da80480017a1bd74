/** WithVenvEndToEndTest again, the step run by JenkinsPipelineUnit's CPS interpreter while every script runs for real. */
class WithVenvEndToEndCpsTest extends WithVenvEndToEndTest {

    WithVenvEndToEndCpsTest() {
        cps = true
    }
}
