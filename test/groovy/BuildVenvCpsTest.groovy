/** BuildVenvTest again, with the steps run by JenkinsPipelineUnit's CPS interpreter (as BasePipelineTestCPS runs them). */
class BuildVenvCpsTest extends BuildVenvTest {

    BuildVenvCpsTest() {
        cps = true
    }
}
