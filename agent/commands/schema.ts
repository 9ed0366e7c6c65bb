// `thingd schema`: print the sensor map's JSON Schema, e.g. to point an editor at it:
//   thingd schema > sensors.schema.json
//   # yaml-language-server: $schema=./sensors.schema.json   (first line of sensors.yaml)
// The same text ships as schema/sensor-map.schema.json. Exit 0.
import type { Io } from "./io.js";
import { EXIT_OK } from "../errors.js";
import { sensorMapJsonSchemaText } from "../config/json-schema.js";

export async function schemaCommand(_opts: object, io: Io): Promise<number> {
  io.out(sensorMapJsonSchemaText().trimEnd());
  return EXIT_OK;
}
