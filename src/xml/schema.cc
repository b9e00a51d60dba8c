#include "xml/schema.h"

#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include "base/errors.h"
#include "base/files.h"
#include "xml/errors.h"

namespace roadside::xml {
namespace {

constexpr std::string_view kXsdNs = "http://www.w3.org/2001/XMLSchema";
constexpr std::size_t kMaxSchemaFiles = 16;

// The first error libxml2 reports, kept for the result (the rest are usually its echoes).
struct FirstError {
  std::string message;
  static void record(void* ctx, xmlErrorPtr error) {
    auto* self = static_cast<FirstError*>(ctx);
    if (!self->message.empty() || error == nullptr) return;
    std::string text = error->message ? error->message : "schema error";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    self->message = "line " + std::to_string(error->line) + ": " + text;
  }
};

// A schemaLocation this loader follows: a file name in the schema's own folder.
bool is_plain_file_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == '\\' || c == ':' || c == '%' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

// The schemaLocation of every xs:import, xs:include and xs:redefine under `e`.
void collect_locations(const Element& e, std::vector<std::string>& out) {
  for (const Element& c : e.children()) {
    if (c.ns() == kXsdNs && (c.name() == "import" || c.name() == "include" || c.name() == "redefine")) {
      if (auto loc = c.attribute("schemaLocation")) out.push_back(*loc);
    }
  }
}

}  // namespace

Result<Schema> Schema::load(const std::filesystem::path& xsd, std::size_t max_file_bytes) {
  ensure_initialized();
  const std::filesystem::path folder = xsd.parent_path();
  std::set<std::string> seen{xsd.filename().string()};
  std::deque<std::filesystem::path> pending{xsd};
  while (!pending.empty()) {
    const std::filesystem::path file = pending.front();
    pending.pop_front();
    ROADSIDE_TRY(std::string bytes, read_file_limited(file, max_file_bytes));
    auto doc = Document::parse(bytes, max_file_bytes);
    if (!doc.ok())
      return make_error(base::errc::invalid_argument, "schema " + file.string() + ": " + doc.error().detail());
    if (doc->root().ns() != kXsdNs || doc->root().name() != "schema") {
      return make_error(base::errc::invalid_argument, "schema " + file.string() + " is not an xs:schema document");
    }
    std::vector<std::string> locations;
    collect_locations(doc->root(), locations);
    for (const std::string& loc : locations) {
      if (!is_plain_file_name(loc)) {
        return make_error(base::errc::invalid_argument, "schema " + file.string() + " names schemaLocation \"" +
                                                            loc.substr(0, 80) + "\", which is not a file beside it");
      }
      if (!seen.insert(loc).second) continue;
      if (seen.size() > kMaxSchemaFiles) {
        return make_error(base::errc::invalid_argument, "schema " + xsd.string() + " names more than " +
                                                            std::to_string(kMaxSchemaFiles) + " schema files");
      }
      pending.push_back(folder / loc);
    }
  }
  std::unique_ptr<xmlSchemaParserCtxt, void (*)(xmlSchemaParserCtxtPtr)> pctxt(
      xmlSchemaNewParserCtxt(xsd.string().c_str()), xmlSchemaFreeParserCtxt);
  if (!pctxt) return make_error(errc::xml_failure, "cannot make a schema parser (out of memory)");
  FirstError first;
  xmlSchemaSetParserStructuredErrors(pctxt.get(), FirstError::record, &first);
  xmlSchema* schema = xmlSchemaParse(pctxt.get());
  if (!schema) {
    return make_error(errc::schema_invalid, "schema " + xsd.string() + " does not load: " +
                                                (first.message.empty() ? "libxml2 refused it" : first.message));
  }
  return Schema(std::shared_ptr<void>(schema, [](void* s) { xmlSchemaFree(static_cast<xmlSchema*>(s)); }));
}

Status Schema::validate(const Element& element) const {
  ensure_initialized();
  std::unique_ptr<xmlSchemaValidCtxt, void (*)(xmlSchemaValidCtxtPtr)> vctxt(
      xmlSchemaNewValidCtxt(static_cast<xmlSchema*>(schema_.get())), xmlSchemaFreeValidCtxt);
  if (!vctxt) return make_error(errc::xml_failure, "cannot make a schema validator (out of memory)");
  FirstError first;
  xmlSchemaSetValidStructuredErrors(vctxt.get(), FirstError::record, &first);
  // libxml2 reads the subtree; it changes nothing without XML_SCHEMA_VAL_VC_I_CREATE.
  auto* node = static_cast<xmlNode*>(const_cast<void*>(element.native()));
  const int rc = xmlSchemaValidateOneElement(vctxt.get(), node);
  if (rc == 0) return {};
  if (rc < 0) return make_error(errc::xml_failure, "schema validation failed inside libxml2");
  return make_error(errc::schema_invalid, "<" + std::string(element.name()) + "> is not valid by its schema: " +
                                              (first.message.empty() ? "libxml2 gave no reason" : first.message));
}

}  // namespace roadside::xml
