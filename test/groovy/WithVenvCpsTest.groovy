/** WithVenvTest again, with the steps run by JenkinsPipelineUnit's CPS interpreter. */
class WithVenvCpsTest extends WithVenvTest {

    WithVenvCpsTest() {
        cps = true
    }
}
