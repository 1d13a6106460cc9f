import Agent

// The whole CLI lives in the Agent library (so tests can reach it); this target only starts it.
await KalmMain.main()
