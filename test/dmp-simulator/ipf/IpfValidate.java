import java.io.File;
import javax.xml.bind.JAXBContext;
import javax.xml.bind.Unmarshaller;
import javax.xml.transform.stream.StreamSource;
import org.openehealth.ipf.commons.ihe.xds.XDS;
import org.openehealth.ipf.commons.ihe.xds.XdsIntegrationProfile;
import org.openehealth.ipf.commons.ihe.xds.XdsInteractionId;
import org.openehealth.ipf.commons.ihe.xds.core.XdsRuntimeException;
import org.openehealth.ipf.commons.ihe.xds.core.ebxml.ebxml30.EbXMLFactory30;
import org.openehealth.ipf.commons.ihe.xds.core.ebxml.ebxml30.EbXMLProvideAndRegisterDocumentSetRequest30;
import org.openehealth.ipf.commons.ihe.xds.core.ebxml.ebxml30.ProvideAndRegisterDocumentSetRequestType;
import org.openehealth.ipf.commons.ihe.xds.core.transform.requests.ProvideAndRegisterDocumentSetTransformer;
import org.openehealth.ipf.commons.ihe.xds.core.validate.ValidationProfile;
import org.openehealth.ipf.commons.ihe.xds.core.validate.requests.ProvideAndRegisterDocumentSetRequestValidator;

/**
 * The external XDS validator of the DMP simulator's tests: IPF's ITI-41 request validation (Open eHealth Foundation,
 * ipf-commons-ihe-xds), the one IPF's own XDS repository endpoints run on every Provide and Register request.
 *
 * Each argument is a file holding one xdsb:ProvideAndRegisterDocumentSetRequest (as the simulator received it, the
 * XOP parts put back inline as base64, which is what XOP means). For each, one line:
 *   OK <file>
 *   ERROR <file> <IPF error code> <message>
 * It first validates the ebXML (slots, classifications, external identifiers, associations, HL7v2 data types, OIDs,
 * documents present for every entry) then transforms it to IPF's model, as an IPF repository would.
 *
 * Usage: java -cp '<lib>/*' IpfValidate.java <request.xml>...
 */
public class IpfValidate {
  public static void main(String[] args) throws Exception {
    JAXBContext context = JAXBContext.newInstance(ProvideAndRegisterDocumentSetRequestType.class);
    ProvideAndRegisterDocumentSetRequestValidator validator = ProvideAndRegisterDocumentSetRequestValidator.getInstance();
    ValidationProfile iti41 = new ValidationProfile() {
      public boolean isQuery() { return false; }
      public XdsInteractionId<?> getInteractionId() { return XDS.Interactions.ITI_41; }
      public XdsIntegrationProfile getInteractionProfile() { return XDS.Interactions.ITI_41.getInteractionProfile(); }
    };
    ProvideAndRegisterDocumentSetTransformer transformer = new ProvideAndRegisterDocumentSetTransformer(new EbXMLFactory30());
    for (String file : args) {
      try {
        Unmarshaller unmarshaller = context.createUnmarshaller();
        ProvideAndRegisterDocumentSetRequestType body =
            unmarshaller.unmarshal(new StreamSource(new File(file)), ProvideAndRegisterDocumentSetRequestType.class).getValue();
        EbXMLProvideAndRegisterDocumentSetRequest30 request = new EbXMLProvideAndRegisterDocumentSetRequest30(body);
        validator.validate(request, iti41);
        transformer.fromEbXML(request);
        System.out.println("OK " + file);
      } catch (XdsRuntimeException e) {
        System.out.println("ERROR " + file + " " + e.getErrorCode() + " " + String.valueOf(e.getMessage()).replace('\n', ' '));
      } catch (Exception e) {
        System.out.println("ERROR " + file + " " + e.getClass().getSimpleName() + " " + String.valueOf(e.getMessage()).replace('\n', ' '));
      }
    }
  }
}
