/** VenvCatalogTest again, with the steps run by JenkinsPipelineUnit's CPS interpreter. */
class VenvCatalogCpsTest extends VenvCatalogTest {

    VenvCatalogCpsTest() {
        cps = true
    }
}
