#!/usr/bin/python3
"""Calls getRandom through an X-Road client proxy with python3-zeep, a SOAP client Roadside
did not write: it reads the service's WSDL, sends the X-Road headers as SOAP headers and
prints the answer's data and X-Road headers as JSON.

usage: zeep_client.py WSDL_URL CLIENT_PROXY_URL CLIENT SERVICE
  CLIENT  INSTANCE/CLASS/CODE/SUBSYSTEM       e.g. DEV/COM/1001/CLIENT
  SERVICE INSTANCE/CLASS/CODE/SUBSYSTEM/CODE/VERSION
"""
import json
import sys
import uuid

from zeep import Client
from zeep.plugins import HistoryPlugin


def identifier(object_type, parts, names):
    out = {"objectType": object_type}
    out.update(dict(zip(names, parts)))
    return out


def main():
    wsdl, proxy, client_id, service_id = sys.argv[1:5]
    history = HistoryPlugin()
    client = Client(wsdl, plugins=[history])
    service = client.create_service("{http://test.x-road.global/producer}testServiceBinding", proxy)
    headers = {
        "client": identifier("SUBSYSTEM", client_id.split("/"), ["xRoadInstance", "memberClass", "memberCode", "subsystemCode"]),
        "service": identifier("SERVICE", service_id.split("/"),
                              ["xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode", "serviceVersion"]),
        "id": str(uuid.uuid4()),
        "protocolVersion": "4.0",
    }
    result = service.getRandom(_soapheaders=headers)
    envelope = history.last_received["envelope"]
    ns = {"xrd": "http://x-road.eu/xsd/xroad.xsd"}
    print(json.dumps({
        "data": str(result["body"]["data"]),
        "id": envelope.findtext(".//xrd:id", namespaces=ns),
        "sent_id": headers["id"],
        "requestHash": envelope.findtext(".//xrd:requestHash", namespaces=ns),
    }))


if __name__ == "__main__":
    main()
