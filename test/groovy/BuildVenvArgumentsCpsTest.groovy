/** BuildVenvArgumentsTest again, with the steps run by JenkinsPipelineUnit's CPS interpreter (as BasePipelineTestCPS runs them). */
class BuildVenvArgumentsCpsTest extends BuildVenvArgumentsTest {

    BuildVenvArgumentsCpsTest() {
        cps = true
    }
}
