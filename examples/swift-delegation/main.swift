// Inter-pool delegation: a task sent to pool "local" names `delegate_to: "heavy"`, so local hands
// it to heavy over the message bus (task_delegate), heavy runs it through the broker, and its
// result comes back to local (result_share) and from there to us. We watch the bus meanwhile.
//
//     swift run mahavishnu-example-delegation [BROKER_FRONTEND [BUS_PUB BUS_SUB]]
//
// Needs a running broker with pools "local" and "heavy": `mahavishnu up` starts both.
import Mahavishnu

var settings = Settings()
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.count >= 1 { settings.brokerFrontend = arguments[0] }
if arguments.count >= 3 {
    settings.brokerBusPub = arguments[1]
    settings.brokerBusSub = arguments[2]
}

let bus = try MessageBus(configuration: MessageBusConfiguration(settings: settings))
defer { bus.close() }
let delegations = bus.subscribe(to: [.taskDelegate, .resultShare], scope: .all)
try await bus.roundTrip()

let pools = try PoolManager(broker: settings.brokerFrontend, settings: settings, messageBus: bus)
defer { pools.close() }
let result = try await pools.executeOnPool("local", task: TaskRequest(prompt: "Summarise the API implementation", delegateTo: "heavy"))
print("result from pool \(result.poolID): \(result.status.rawValue): \(result.output)")

// Both messages were published before the result reached us; wait for them to arrive here.
var seen = 0
for await message in delegations {
    let route = "\(message.sourcePoolID) → \(message.targetPoolID ?? "*")"
    if message.type == .taskDelegate {
        print("task_delegate \(route): \"\(try message.payload(as: TaskDelegateRequest.self).task.prompt)\"")
    } else {
        print("result_share \(route): ran on \(try message.payload(as: ResultShare.self).result?.poolID ?? "no pool")")
    }
    seen += 1
    if seen == 2 { break }
}
