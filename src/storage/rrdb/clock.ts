/** The time source of the storage semantics: the Env clock in a server, a virtual one in the simulator. */
export interface Clock {
  /** Unix time in milliseconds. */
  nowMs(): number;
}
