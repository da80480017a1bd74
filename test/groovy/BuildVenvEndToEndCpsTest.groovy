/** BuildVenvEndToEndTest again, the step run by JenkinsPipelineUnit's CPS interpreter while every script runs for real. */
class BuildVenvEndToEndCpsTest extends BuildVenvEndToEndTest {

    BuildVenvEndToEndCpsTest() {
        cps = true
    }
}
