// Metaservices the provider's Security Server answers itself (xroad-protocols.md §5):
//   SOAP  listMethods, allowedMethods (xrd:service lists), getWsdl (the WSDL as an attachment,
//         its endpoint addresses rewritten to http://example.org/xroad-endpoint)
//   REST  listMethods, allowedMethods (JSON service lists with endpoints), getOpenAPI
// A configured service with the same code takes precedence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "globalconf/parameters.h"
#include "net/payload.h"
#include "proxy/soap.h"
#include "serverconf/serverconf.h"

namespace roadside::proxy {

bool is_soap_metaservice(std::string_view service_code);
bool is_rest_metaservice(std::string_view service_code);

// The provider's services of the given kind (SOAP: WSDL services; REST: REST and OpenAPI),
// all of them, or only those `caller` may call when it is given.
std::vector<const serverconf::Service*> listed_services(const serverconf::ServerConf& conf, const XRoadId& provider, bool soap,
                                                        const XRoadId* caller, const globalconf::SharedParameters* shared);

// <xrd:listMethodsResponse> / <xrd:allowedMethodsResponse> with one xrd:service each.
std::string soap_service_list(std::string_view metaservice, const std::vector<const serverconf::Service*>& services);
// {"service":[{"member_class",...,"service_type","endpoint_list":[...]}]}
std::string rest_service_list(const std::vector<const serverconf::Service*>& services);

// A response envelope for `request` (its Envelope start tag and Header copied) with `body_xml`.
// Linear in the request's size (no regex: the request comes from an information system).
Result<std::string> soap_response_envelope(std::string_view request, std::string_view body_xml);
// The answer a server proxy gives itself to `request`: a text/xml SOAP message whose envelope
// is soap_response_envelope(request, body_xml).
Result<SoapMessage> soap_answer(std::string_view request, std::string_view body_xml);
// Adds an attachment (its MIME headers, its bytes) to `answer`, which becomes multipart/related
// (SwA) with a boundary of its own.
void attach(SoapMessage& answer, HeaderList headers, net::Payload body);

// The getWsdl request's serviceCode and serviceVersion.
Result<std::pair<std::string, std::string>> get_wsdl_target(std::string_view request);
// Every address element's location (soap:, soap12:, http:, unprefixed) set to
// http://example.org/xroad-endpoint, so no internal URL of the service leaves this server.
// The WSDL comes from a service, so it is parsed first: a DOCTYPE or malformed XML is
// errc::service_invalid_response.
Result<std::string> rewrite_wsdl_endpoints(std::string_view wsdl);

}  // namespace roadside::proxy
