// `import Mahavishnu` brings the broker client, the message bus and the wire types with it.
@_exported import MahavishnuClient
