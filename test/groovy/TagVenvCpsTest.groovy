/** TagVenvTest again, with the steps run by JenkinsPipelineUnit's CPS interpreter (as BasePipelineTestCPS runs them). */
class TagVenvCpsTest extends TagVenvTest {

    TagVenvCpsTest() {
        cps = true
    }
}
