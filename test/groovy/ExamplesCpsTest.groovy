/** ExamplesTest again, with the steps run by JenkinsPipelineUnit's CPS interpreter (as BasePipelineTestCPS runs them). */
class ExamplesCpsTest extends ExamplesTest {

    ExamplesCpsTest() {
        cps = true
    }
}
