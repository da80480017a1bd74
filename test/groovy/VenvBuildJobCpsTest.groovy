/** VenvBuildJobTest again, with the steps run by JenkinsPipelineUnit's CPS interpreter (as BasePipelineTestCPS runs them). */
class VenvBuildJobCpsTest extends VenvBuildJobTest {

    VenvBuildJobCpsTest() {
        cps = true
    }
}
